package check

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestDialAddrs checks that the addresses of a host are tried in order
// until one accepts.
func TestDialAddrs(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		if c, err := ln.Accept(); err == nil {
			c.Close()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Nothing listens on [::1] at that port (or there is no IPv6
	// loopback): the dial moves on to 127.0.0.1.
	addrs := []netip.Addr{netip.MustParseAddr("::1"), netip.MustParseAddr("127.0.0.1")}
	conn, err := dialAddrs(ctx, "tcp", addrs, itoa(port))
	require.NoError(t, err)
	if got := conn.RemoteAddr().(*net.TCPAddr).AddrPort().Addr(); got != netip.MustParseAddr("127.0.0.1") {
		t.Errorf("connected to %v", got)
	}
	conn.Close()
	if _, err := dialAddrs(ctx, "tcp", nil, "25"); err == nil {
		t.Error("no addresses: no error")
	}
}

func itoa(n int) string {
	return netip.AddrPortFrom(netip.IPv4Unspecified(), uint16(n)).String()[len("0.0.0.0:"):]
}
