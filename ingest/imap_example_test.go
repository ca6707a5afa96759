package ingest_test

import (
	"fmt"

	"github.com/go-tlsrpt/tlsrpt/ingest"
)

func ExampleParseIMAPURL() {
	src, err := ingest.ParseIMAPURL("imaps://tlsrpt@mail.example.com/Reports/TLS")
	if err != nil {
		fmt.Println(err)
		return
	}
	// The password comes from the environment or a file, never the URL.
	src.PasswordFile = "/run/secrets/imap-password"
	src.MoveTo = "Reports/Done"
	fmt.Println(src.Addr, src.Security, src.Username, src.Mailbox)
	fmt.Println(src)

	_, err = ingest.ParseIMAPURL("imaps://tlsrpt:secret@mail.example.com/")
	fmt.Println(err)
	// Output:
	// mail.example.com tls tlsrpt Reports/TLS
	// imaps://tlsrpt@mail.example.com/Reports/TLS
	// ingest: IMAP URL "imaps://tlsrpt:xxxxx@mail.example.com/" carries a password: set it in Password or PasswordFile instead
}
