package aggregate_test

import (
	"github.com/go-tlsrpt/tlsrpt/aggregate"
	"github.com/go-tlsrpt/tlsrpt/report"
)

// failuresOf turns failure-details entries (as the tests write their
// expectations) into the Failures of a Session; FailedSessionCount has no
// counterpart there.
func failuresOf(fds ...report.FailureDetail) []aggregate.Failure {
	out := make([]aggregate.Failure, len(fds))
	for i, fd := range fds {
		out[i] = aggregate.Failure{
			ResultType:            fd.ResultType,
			SendingMTAIP:          fd.SendingMTAIP,
			ReceivingMXHostname:   fd.ReceivingMXHostname,
			ReceivingMXHelo:       fd.ReceivingMXHelo,
			ReceivingIP:           fd.ReceivingIP,
			AdditionalInformation: fd.AdditionalInformation,
			FailureReasonCode:     fd.FailureReasonCode,
		}
	}
	return out
}
