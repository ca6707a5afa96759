package submit

import (
	"fmt"
	"net"

	"github.com/go-tlsrpt/tlsrpt"
)

// maxServerBytes caps what an SMTP server may send between two writes of
// the client: a greeting, one reply (RFC 5321 §4.2: multi-line replies
// have no line count limit), or the server's flight of a TLS handshake.
// go-smtp caps each reply line at 2000 bytes but collects any number of
// them in memory, so a server answering EHLO with an endless "250-" list
// would grow the client without bound until the command timeout. Real
// EHLO replies are a few hundred bytes and certificate chains a few KiB.
const maxServerBytes = 256 << 10

// errServerTooLarge is the error of a server that sent more than
// maxServerBytes without the client writing. It matches tlsrpt.ErrTooLarge.
var errServerTooLarge = fmt.Errorf("submit: server sent more than %d bytes in one reply: %w", maxServerBytes, tlsrpt.ErrTooLarge)

// replyCapConn is a net.Conn that fails a read once the peer sent more
// than maxServerBytes since the client last wrote.
type replyCapConn struct {
	net.Conn
	n int
}

func (c *replyCapConn) Read(b []byte) (int, error) {
	left := maxServerBytes - c.n
	if left <= 0 {
		return 0, errServerTooLarge
	}
	if len(b) > left {
		b = b[:left]
	}
	n, err := c.Conn.Read(b)
	c.n += n
	return n, err
}

func (c *replyCapConn) Write(b []byte) (int, error) {
	c.n = 0
	return c.Conn.Write(b)
}
