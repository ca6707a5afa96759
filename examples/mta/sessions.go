package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/go-tlsrpt/tlsrpt/aggregate"
	"github.com/go-tlsrpt/tlsrpt/policy"
	"github.com/go-tlsrpt/tlsrpt/report"
)

// sessionLine is one line of the input: count sessions with one outcome.
type sessionLine struct {
	Time                time.Time  `json:"time"`
	Count               int        `json:"count"`
	PolicyType          string     `json:"policy-type"`
	PolicyDomain        string     `json:"policy-domain"`
	PolicyString        []string   `json:"policy-string"`
	MXHost              []string   `json:"mx-host"`
	ResultType          string     `json:"result-type"`
	ReceivingMXHostname string     `json:"receiving-mx-hostname"`
	ReceivingIP         netip.Addr `json:"receiving-ip"`
	SendingMTAIP        netip.Addr `json:"sending-mta-ip"`
	FailureReasonCode   string     `json:"failure-reason-code"`
}

// recordSessions reads the lines of data (JSON lines when it starts with
// "{", else CSV) and records them in agg. name is for error messages.
func recordSessions(agg *aggregate.Aggregator, name string, data []byte) error {
	read := readCSV
	if bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")) {
		read = readJSONLines
	}
	return read(bytes.NewReader(data), func(n int, l sessionLine) error {
		if err := record(agg, l); err != nil {
			return fmt.Errorf("%s:%d: %w", name, n, err)
		}
		return nil
	})
}

// record counts the sessions of one line.
func record(agg *aggregate.Aggregator, l sessionLine) error {
	id, err := agg.PolicyID(policy.Policy{
		Type:    policy.Type(l.PolicyType),
		Strings: l.PolicyString,
		Domain:  l.PolicyDomain,
		MXHosts: l.MXHost,
	})
	if err != nil {
		return err
	}
	s := aggregate.Session{Time: l.Time, Policy: id}
	if l.ResultType != "" {
		s.Failures = []aggregate.Failure{{
			ResultType:          report.ResultType(l.ResultType),
			SendingMTAIP:        l.SendingMTAIP,
			ReceivingMXHostname: l.ReceivingMXHostname,
			ReceivingIP:         l.ReceivingIP,
			FailureReasonCode:   l.FailureReasonCode,
		}}
	}
	count := l.Count
	switch {
	case count < 0:
		return fmt.Errorf("negative count %d", count)
	case count == 0:
		count = 1
	}
	for range count {
		if err := agg.Record(s); err != nil {
			return err
		}
	}
	return nil
}

func readJSONLines(r io.Reader, fn func(int, sessionLine) error) error {
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var l sessionLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return fmt.Errorf("line %d: %w", n, err)
		}
		if err := fn(n, l); err != nil {
			return err
		}
	}
	return sc.Err()
}

func readCSV(r io.Reader, fn func(int, sessionLine) error) error {
	cr := csv.NewReader(r)
	header, err := cr.Read()
	if err != nil {
		return fmt.Errorf("csv header: %w", err)
	}
	for n := 2; ; n++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		var l sessionLine
		for i, v := range rec {
			if err := l.set(header[i], v); err != nil {
				return fmt.Errorf("line %d: %s: %w", n, header[i], err)
			}
		}
		if err := fn(n, l); err != nil {
			return err
		}
	}
}

// set sets the member called name from a CSV value.
func (l *sessionLine) set(name, v string) error {
	var err error
	list := func() []string {
		if v == "" {
			return nil
		}
		return strings.Split(v, "|")
	}
	addr := func() netip.Addr {
		if v == "" {
			return netip.Addr{}
		}
		a, e := netip.ParseAddr(v)
		err = e
		return a
	}
	switch name {
	case "time":
		l.Time, err = time.Parse(time.RFC3339, v)
	case "count":
		l.Count, err = strconv.Atoi(v)
	case "policy-type":
		l.PolicyType = v
	case "policy-domain":
		l.PolicyDomain = v
	case "policy-string":
		l.PolicyString = list()
	case "mx-host":
		l.MXHost = list()
	case "result-type":
		l.ResultType = v
	case "receiving-mx-hostname":
		l.ReceivingMXHostname = v
	case "receiving-ip":
		l.ReceivingIP = addr()
	case "sending-mta-ip":
		l.SendingMTAIP = addr()
	case "failure-reason-code":
		l.FailureReasonCode = v
	default:
		return errors.New("unknown column")
	}
	return err
}
