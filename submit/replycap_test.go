package submit

import (
	"bufio"
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/go-tlsrpt/tlsrpt"
)

// endlessServer accepts one connection on loopback and, after writing
// prefix and reading one line when prefix is not empty, writes line for
// ever. It returns the address and a function that reports how many bytes
// it wrote.
func endlessServer(t *testing.T, prefix, line string) (addr string, sent func() int) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	total := make(chan int, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			total <- 0
			return
		}
		defer c.Close()
		n := 0
		if prefix != "" {
			k, _ := c.Write([]byte(prefix))
			n += k
			bufio.NewReader(c).ReadString('\n')
		}
		chunk := []byte(strings.Repeat(line, 1024))
		for {
			k, err := c.Write(chunk)
			n += k
			if err != nil {
				break
			}
		}
		total <- n
	}()
	return l.Addr().String(), func() int {
		select {
		case n := <-total:
			return n
		case <-time.After(10 * time.Second):
			t.Fatal("server still writing 10 s after the client gave up")
			return 0
		}
	}
}

// TestSMTPServerReplyCapped checks that a server sending an endless
// reply — an EHLO answer of ever more "250-" lines, a greeting that never
// ends, one endless line — fails the attempt with an error matching
// tlsrpt.ErrTooLarge after at most maxServerBytes (plus what the kernel
// buffers), instead of growing the client until the command timeout.
func TestSMTPServerReplyCapped(t *testing.T) {
	tests := []struct {
		name, prefix, line string
	}{
		{name: "endless EHLO reply", prefix: "220 mx.example ESMTP\r\n", line: "250-PIPELINING\r\n"},
		{name: "endless greeting", line: "220-welcome\r\n"},
		{name: "endless line", line: "220 xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr, sent := endlessServer(t, tt.prefix, tt.line)
			s := &SMTPSender{Relay: addr, OpportunisticTLS: true}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_, err := s.SendMail(ctx, "a@sender.example", []string{"b@example.net"}, []byte("\r\nbody\r\n"))
			if !errors.Is(err, tlsrpt.ErrTooLarge) {
				t.Fatalf("SendMail error = %v, want one matching tlsrpt.ErrTooLarge", err)
			}
			var de *DeliveryError
			if !errors.As(err, &de) || !de.Retryable {
				t.Errorf("error %#v: want a retryable *DeliveryError", err)
			}
			if ctx.Err() != nil {
				t.Errorf("the attempt ran into the context deadline: the cap did not stop it")
			}
			// The client closed the connection: the server's writes fail
			// soon after the cap, having sent little more than it plus
			// the socket buffers.
			if n := sent(); n > 64*maxServerBytes {
				t.Errorf("server wrote %d bytes before the client closed; cap is %d", n, maxServerBytes)
			}
		})
	}
}
