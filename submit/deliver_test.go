package submit

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"testing"

	"github.com/emersion/go-smtp"
	"github.com/google/go-cmp/cmp"

	"github.com/go-tlsrpt/tlsrpt/mime"
)

// senderFunc adapts a function to MailSender (the interface an MTA's own
// queue implements).
type senderFunc func(ctx context.Context, from string, to []string, msg []byte) error

func (f senderFunc) SendMail(ctx context.Context, from string, to []string, msg []byte) (*SMTPReply, error) {
	return nil, f(ctx, from, to, msg)
}

func TestDeliverEveryRUA(t *testing.T) {
	ok := newEndpoint(t, func(_ int, w http.ResponseWriter, _ *http.Request) {})
	bad := newEndpoint(t, func(_ int, w http.ResponseWriter, _ *http.Request) { w.WriteHeader(503) })
	rec := record(t,
		bad.srv.URL,
		"http://insecure.example/tlsrpt",
		ok.srv.URL,
		"mailto:tlsrpt@example.net",
		bad.srv.URL,
		"ftp://x.example/",
	)
	client := ok.srv.Client()
	client.Transport.(*http.Transport).TLSClientConfig.RootCAs.AddCert(bad.srv.Certificate())
	d := &Deliverer{HTTPClient: client}
	res, err := d.Deliver(context.Background(), testReport(), rec)
	if err != nil {
		t.Fatalf("Deliver: %v (one destination accepted)", err)
	}
	if !res.Delivered() || res.Err() != nil {
		t.Fatal("not delivered")
	}
	var got []outcomeSummary
	for _, o := range res.Outcomes {
		got = append(got, summarize(o))
	}
	want := []outcomeSummary{
		{Status: StatusTemporaryFailure, StatusCode: 503},
		{Status: StatusSkipped},
		{Status: StatusAccepted, StatusCode: 200},
		{Status: StatusSkipped},
		{Status: StatusSkipped},
		{Status: StatusSkipped},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	wantErrs := []error{ErrRejected, ErrUnsupportedScheme, nil, ErrNoMailSender, ErrDuplicateURI, ErrUnsupportedScheme}
	for i, o := range res.Outcomes {
		if o.URI != rec.RUA[i] {
			t.Errorf("outcome %d is for %v", i, o.URI)
		}
		if wantErrs[i] == nil {
			if o.Err != nil {
				t.Errorf("outcome %d: %v", i, o.Err)
			}
			continue
		}
		var de *DeliveryError
		if !errors.Is(o.Err, wantErrs[i]) || !errors.As(o.Err, &de) || de.URI != rec.RUA[i].String() {
			t.Errorf("outcome %d: error %v, want %v for %s", i, o.Err, wantErrs[i], rec.RUA[i])
		}
	}
	if n := len(bad.requests()); n != 1 {
		t.Errorf("duplicate URI posted %d times", n)
	}
}

func TestDeliverNothingAccepted(t *testing.T) {
	res, err := (&Deliverer{}).Deliver(context.Background(), testReport(), record(t, "http://a.example/", "mailto:a@example.net"))
	if err == nil || res.Delivered() {
		t.Fatal("delivered with no supported destination")
	}
	if _, retry := (&RetryPolicy{}).NextAttempt(testReport().DateRange.End, testReport().DateRange.End, 1, err); retry {
		t.Error("retry scheduled although nothing can ever be delivered")
	}
	if _, err := (&Deliverer{}).Deliver(context.Background(), nil, record(t, "https://a.example/")); err == nil {
		t.Error("nil report accepted")
	}
	if _, err := (&Deliverer{}).Deliver(context.Background(), testReport(), nil); err == nil {
		t.Error("nil record accepted")
	}
}

func TestDeliverMailSenderErrors(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want outcomeSummary
	}{
		{name: "queue accepted", err: nil, want: outcomeSummary{Status: StatusAccepted}},
		{name: "plain error is temporary", err: errors.New("queue full"), want: outcomeSummary{Status: StatusTemporaryFailure}},
		{name: "permanent DeliveryError", err: &DeliveryError{URI: "x@example.net", StatusCode: 550, Err: errors.New("no")}, want: outcomeSummary{Status: StatusPermanentFailure, StatusCode: 550}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var gotFrom string
			var gotTo []string
			d := &Deliverer{
				Mail: senderFunc(func(_ context.Context, from string, to []string, msg []byte) error {
					gotFrom, gotTo = from, to
					return tt.err
				}),
				MailOptions: mime.WriteOptions{From: "Reports <tlsrpt@sender.example>"},
			}
			res, _ := d.Deliver(context.Background(), testReport(), record(t, "mailto:tls%2Brpt@example.net?subject=x"))
			if diff := cmp.Diff(tt.want, summarize(res.Outcomes[0])); diff != "" {
				t.Errorf("outcome (-want +got):\n%s", diff)
			}
			if gotFrom != "tlsrpt@sender.example" || len(gotTo) != 1 || gotTo[0] != "tls+rpt@example.net" {
				t.Errorf("envelope %q -> %q", gotFrom, gotTo)
			}
			if o := res.Outcomes[0]; o.Err != nil {
				var de *DeliveryError
				if !errors.As(o.Err, &de) || de.URI != "mailto:tls%2Brpt@example.net?subject=x" {
					t.Errorf("error %v not addressed to the rua URI", o.Err)
				}
			}
		})
	}
}

func TestStatusConstantsTyped(t *testing.T) {
	for _, s := range []any{StatusAccepted, StatusTemporaryFailure, StatusPermanentFailure, StatusSkipped} {
		if reflect.TypeOf(s) != reflect.TypeOf(Status("")) {
			t.Errorf("%v has type %T", s, s)
		}
	}
}

func TestDeliverManyURIs(t *testing.T) {
	e := newEndpoint(t, func(_ int, w http.ResponseWriter, _ *http.Request) {})
	var uris []string
	for i := range 3 * maxConcurrent {
		uris = append(uris, e.srv.URL+"/r"+string(rune('a'+i)))
	}
	res, err := (&Deliverer{HTTPClient: e.srv.Client()}).Deliver(context.Background(), testReport(), record(t, uris...))
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range res.Outcomes {
		if o.Status != StatusAccepted {
			t.Errorf("outcome %d: %s %v", i, o.Status, o.Err)
		}
	}
	if n := len(e.requests()); n != len(uris) {
		t.Errorf("%d requests for %d URIs", n, len(uris))
	}
}

// replySender is a MailSender standing in for an MTA queue that knows
// its own reply.
type replySender struct {
	reply *SMTPReply
	err   error
	calls int
}

func (s *replySender) SendMail(context.Context, string, []string, []byte) (*SMTPReply, error) {
	s.calls++
	return s.reply, s.err
}

func TestDeliverMailSenderReply(t *testing.T) {
	tests := []struct {
		name      string
		sender    *replySender
		want      outcomeSummary
		wantReply string
	}{
		{name: "reply recorded", sender: &replySender{reply: &SMTPReply{Code: 250, Text: "2.0.0 Ok: queued as 4F2B1"}},
			want: outcomeSummary{Status: StatusAccepted, StatusCode: 250}, wantReply: "2.0.0 Ok: queued as 4F2B1"},
		{name: "accepted without reply", sender: &replySender{}, want: outcomeSummary{Status: StatusAccepted}},
		{name: "failure", sender: &replySender{err: &smtp.SMTPError{Code: 452, Message: "full"}},
			want: outcomeSummary{Status: StatusTemporaryFailure, StatusCode: 452}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &Deliverer{Mail: tt.sender, MailOptions: mime.WriteOptions{From: "tlsrpt@sender.example"}}
			res, _ := d.Deliver(context.Background(), testReport(), record(t, "mailto:tlsrpt@example.net"))
			o := res.Outcomes[0]
			if diff := cmp.Diff(tt.want, summarize(o)); diff != "" {
				t.Errorf("outcome (-want +got):\n%s", diff)
			}
			if o.Reply != tt.wantReply || tt.sender.calls != 1 {
				t.Errorf("Reply = %q (want %q), SendMail calls %d", o.Reply, tt.wantReply, tt.sender.calls)
			}
		})
	}
}

// TestDeliverRefusesAmbiguousMailOptions: the destination address and the
// encoding each have one spelling (the rua URI, Deliverer.Uncompressed);
// a template that sets them otherwise is refused, not silently changed.
func TestDeliverRefusesAmbiguousMailOptions(t *testing.T) {
	tests := []struct {
		name string
		opts mime.WriteOptions
	}{
		{"To set", mime.WriteOptions{From: "tlsrpt@sender.example", To: []string{"other@example.net"}}},
		{"Uncompressed in the template", mime.WriteOptions{From: "tlsrpt@sender.example", Uncompressed: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &replySender{}
			d := &Deliverer{Mail: s, MailOptions: tt.opts}
			res, err := d.Deliver(context.Background(), testReport(), record(t, "mailto:tlsrpt@example.net"))
			if err == nil || res != nil || s.calls != 0 {
				t.Fatalf("Deliver = %v, %v (%d sends), want an argument error and no send", res, err, s.calls)
			}
		})
	}
}
