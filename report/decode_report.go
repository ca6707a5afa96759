package report

import (
	"net/netip"
	"strconv"
	"unsafe"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/go-tlsrpt/tlsrpt/policy"
)

// objKind identifies the objects of the RFC 8460 §4.4 schema.
type objKind uint8

const (
	objReport objKind = iota
	objDateRange
	objPolicyResult
	objPolicy
	objSummary
	objDetail
)

// member identifies an RFC 8460 §4.4 member; it is also its bit in the
// per-object "seen" mask.
type member uint8

const (
	mOrganizationName member = iota
	mDateRange
	mContactInfo
	mReportID
	mPolicies
	mStart
	mEnd
	mPolicy
	mSummary
	mFailureDetails
	mPolicyType
	mPolicyString
	mPolicyDomain
	mMXHost
	mSuccessful
	mFailure
	mResultType
	mSendingMTAIP
	mReceivingMXHostname
	mReceivingMXHelo
	mReceivingIP
	mFailedSessionCount
	mAdditionalInformation
	mFailureReasonCode
	numMembers

	mNone member = 255
)

// memberNames are the RFC 8460 §4.4 names, indexed by member.
var memberNames = [numMembers]string{
	"organization-name", "date-range", "contact-info", "report-id", "policies",
	"start-datetime", "end-datetime",
	"policy", "summary", "failure-details",
	"policy-type", "policy-string", "policy-domain", "mx-host",
	"total-successful-session-count", "total-failure-session-count",
	"result-type", "sending-mta-ip", "receiving-mx-hostname", "receiving-mx-helo",
	"receiving-ip", "failed-session-count", "additional-information", "failure-reason-code",
}

// memberObj is the object each member belongs to.
var memberObj = [numMembers]objKind{
	objReport, objReport, objReport, objReport, objReport,
	objDateRange, objDateRange,
	objPolicyResult, objPolicyResult, objPolicyResult,
	objPolicy, objPolicy, objPolicy, objPolicy,
	objSummary, objSummary,
	objDetail, objDetail, objDetail, objDetail, objDetail, objDetail, objDetail, objDetail,
}

// required lists, per object, the members whose absence is a deviation.
// The RFC marks none optional except receiving-mx-helo and
// additional-information, but major senders omit policy-string, mx-host,
// failure-details, the IPs and host names routinely (Google, Microsoft and
// Mail.ru reports do), so their
// absence is accepted in both modes.
var required = [...]uint32{
	objReport:       1<<mOrganizationName | 1<<mDateRange | 1<<mContactInfo | 1<<mReportID | 1<<mPolicies,
	objDateRange:    1<<mStart | 1<<mEnd,
	objPolicyResult: 1<<mPolicy | 1<<mSummary,
	objPolicy:       1<<mPolicyType | 1<<mPolicyDomain,
	objSummary:      1<<mSuccessful | 1<<mFailure,
	objDetail:       1<<mResultType | 1<<mFailedSessionCount,
}

// lookupMember maps an RFC member name to its member: the name's slot in
// memberSlots holds the only member it can be, and one comparison decides.
func lookupMember(name []byte) member {
	if len(name) < minMemberLen || len(name) > maxMemberLen {
		return mNone
	}
	m := memberSlots[memberHash(name)]
	if m != mNone && string(name) == memberNames[m] {
		return m
	}
	return mNone
}

// The shortest and the longest RFC member names ("policy",
// "total-successful-session-count").
const minMemberLen, maxMemberLen = 6, 30

// memberHash maps a name of minMemberLen to maxMemberLen bytes to a slot
// of memberSlots, from its length and its first and last bytes: no two
// RFC names share a slot (TestMemberSlots).
func memberHash(name []byte) uint8 {
	return uint8(len(name)*6+int(name[0])+int(name[len(name)-1])*5) & (numSlots - 1)
}

// numSlots is the size of memberSlots, a power of two.
const numSlots = 64

// memberSlots maps memberHash to the member of that hash, mNone where
// there is none.
var memberSlots = func() (t [numSlots]member) {
	for i := range t {
		t[i] = mNone
	}
	for m := range numMembers {
		t[memberHash([]byte(memberNames[m]))] = m
	}
	return t
}()

// lookupVariant recognises draft, prose and misspelt member names after
// folding case and '_' (foldName).
func lookupVariant(obj objKind, folded []byte) member {
	m := lookupMember(folded)
	switch string(folded) {
	case "mx-host-pattern":
		// QUIRK(RFC 8460 prose): §4.4 calls mx-host "mx-host-pattern".
		m = mMXHost
	case "additional-info-uri":
		// QUIRK(RFC 8460 prose, hand-edited Microsoft reports): §4.4 calls
		// additional-information "additional-info-uri".
		m = mAdditionalInformation
	case "receiving-mx-host-name":
		// QUIRK(SocketLabs): receiving-mx-host-name (RFC 8460 §4.4).
		m = mReceivingMXHostname
	case "failure-error-code":
		// QUIRK(draft-ietf-uta-smtp-tlsrpt): the drafts' failure-error-code.
		m = mFailureReasonCode
	case "domain":
		m = mPolicyDomain // §4.4 prose name of policy-domain
	case "ip-address":
		m = mSendingMTAIP // §4.4 prose name of sending-mta-ip
	case "email-address":
		m = mContactInfo // §4.4 prose name of contact-info
	}
	if m != mNone && memberObj[m] == obj {
		return m
	}
	return mNone
}

// nextMember reads the next member name of an object of kind obj (its
// '{' already read). It returns mNone at the object's end (after reading
// '}'), skips unknown members (a Warning, or an error in strict mode),
// reports duplicates and sets the path's last element to the name.
func (s *decodeState) nextMember(obj objKind, seen *uint32) (member, error) {
	for {
		var raw jsontext.Value
		m := mUnread
		if s.fast {
			raw, m = s.fs.name() // looked up as well
			if raw == nil && m == mNone {
				return mNone, nil // '}' read
			}
		}
		if raw == nil {
			if s.peekKind() == '}' {
				return mNone, s.readDelim()
			}
			var err error
			if raw, err = s.readValue(); err != nil {
				return mNone, err
			}
			m = mUnread
		}
		if m == mUnread {
			m = lookupMember(s.unquote(&s.nameBuf, raw))
		}
		// s.offset(raw), the name's offset, is computed only for a repair
		// (nothing is read before).
		if m != mNone && memberObj[m] == obj {
			s.setMember(m)
		} else {
			name := s.unquote(&s.nameBuf, raw)
			s.valBuf = foldName(s.valBuf[:0], name)
			m = lookupVariant(obj, s.valBuf)
			// The path keeps the name as sent; once warnings are only
			// counted, it is never shown, so skip the allocation.
			sent := memberNames[min(m, numMembers-1)]
			if !s.full() {
				sent = string(name)
			}
			s.setName(sent)
			if m == mNone {
				if err := s.deviate(CodeUnknownMember, s.offset(raw), func() string { return s.quotedMsg("unknown member ", sent, "; skipped") }); err != nil {
					return mNone, err
				}
				if err := s.skipValue(); err != nil {
					return mNone, err
				}
				continue
			}
			if err := s.deviate(CodeMemberNameVariant, s.offset(raw), func() string {
				return s.quotedMsg2("non-standard member name ", sent, "; read as ", memberNames[m])
			}); err != nil {
				return mNone, err
			}
		}
		if *seen&(1<<m) != 0 {
			// RFC 7493 §2.3: member names must be unique.
			if err := s.deviate(CodeDuplicateMember, s.offset(raw), func() string { return "duplicate member " + strconv.Quote(memberNames[m]) + "; the last one is used" }); err != nil {
				return mNone, err
			}
		}
		*seen |= 1 << m
		return m, nil
	}
}

// checkRequired reports the required members of obj missing from seen;
// off is the offset of the object's closing brace.
func (s *decodeState) checkRequired(obj objKind, seen uint32, off int64) error {
	missing := required[obj] &^ seen
	if missing == 0 {
		return nil
	}
	for m := member(0); m < numMembers; m++ {
		if missing&(1<<m) != 0 {
			name := memberNames[m]
			if s.full() {
				s.dropped++
				continue
			}
			repair := " is missing; the zero value is used"
			if m == mEnd && seen&(1<<mStart) != 0 {
				repair = " is missing; start-datetime is used" // so that the range is not reversed
			}
			// Member names are short: quoteShort quotes them whole.
			if err := s.deviateAt(s.pathWith(name), CodeMissingMember, off, func() string { return s.quotedMsg("required member ", name, repair) }); err != nil {
				return err
			}
		}
	}
	return nil
}

// beginObject reads the '{' of an object value whose kind k was peeked;
// null is a deviation (ok false), anything else an error.
func (s *decodeState) beginObject(k jsontext.Kind) (ok bool, err error) {
	switch k {
	case '{':
		return true, s.readDelim()
	case 'n':
		return false, s.null()
	}
	return false, s.wrongType("an object")
}

// openObject is beginObject of the next value's kind, for an object
// value whose '{' asLocal may have read already (see asLocal).
func (s *decodeState) openObject() (ok bool, err error) {
	if s.opened {
		s.opened = false
		return true, nil
	}
	return s.beginObject(s.peekKind())
}

// beginArray is beginObject for arrays.
func (s *decodeState) beginArray(k jsontext.Kind) (ok bool, err error) {
	switch k {
	case '[':
		return true, s.readDelim()
	case 'n':
		return false, s.null()
	}
	return false, s.wrongType("an array")
}

// null reads a null value and records the repair of treating it as absent.
func (s *decodeState) null() error {
	v, err := s.readValue()
	if err != nil {
		return err
	}
	return s.deviate(CodeNullMember, s.offset(v), func() string { return "null value; treated as absent" })
}

// wrongType reads the next value and returns a CodeWrongType error.
func (s *decodeState) wrongType(want string) error {
	k := s.peekKind()
	v, err := s.readValue()
	if err != nil {
		return err
	}
	return s.fail(CodeWrongType, s.offset(v), "got "+kindName(k)+", want "+want)
}

// decodeReport decodes the top-level object (RFC 8460 §4.4).
func (s *decodeState) decodeReport(rep *Report) error {
	k := s.peekKind()
	if k != '{' {
		if k == 0 {
			_, err := s.readValue()
			return err
		}
		return s.wrongType("an object (RFC 8460 §4.4)")
	}
	if err := s.readDelim(); err != nil {
		return err
	}
	var seen uint32
	s.pushName("")
	for {
		m, err := s.nextMember(objReport, &seen)
		if err != nil {
			return err
		}
		switch m {
		case mNone:
			s.pop()
			return s.checkRequired(objReport, seen, s.endOffset())
		case mOrganizationName:
			rep.OrganizationName, err = s.stringValue(false)
		case mContactInfo:
			rep.ContactInfo, err = s.stringValue(false)
		case mReportID:
			rep.ReportID, err = s.stringValue(false)
		case mDateRange:
			rep.DateRange = DateRange{}
			err = s.asLocal(func() error { return s.decodeDateRange(&rep.DateRange) })
		case mPolicies:
			rep.Policies = nil
			err = s.decodePolicies(rep)
		}
		if err != nil {
			return err
		}
	}
}

// decodeDateRange decodes date-range.
func (s *decodeState) decodeDateRange(dr *DateRange) error {
	ok, err := s.openObject()
	if !ok || err != nil {
		return err
	}
	var seen uint32
	s.pushName("")
	var startOff int64
	var startSet, endSet bool // decoded from a string, not null
	for {
		m, err := s.nextMember(objDateRange, &seen)
		if err != nil {
			return err
		}
		switch m {
		case mNone:
			s.pop()
			end := s.endOffset()
			if err := s.checkRequired(objDateRange, seen, end); err != nil {
				return err
			}
			if !endSet && startSet {
				dr.End = dr.Start // end absent or null: see checkRequired
			}
			if startSet && endSet && dr.End.Before(dr.Start) {
				if err := s.deviate(CodeDateRangeReversed, startOff, func() string {
					return "end-datetime " + dr.End.Format(timeLayout) + " is before start-datetime " + dr.Start.Format(timeLayout) + "; swapped"
				}); err != nil {
					return err
				}
				dr.Start, dr.End = dr.End, dr.Start
			}
			return nil
		case mStart:
			startOff = s.inputOffset()
			dr.Start, startSet, err = s.dateTime()
		case mEnd:
			dr.End, endSet, err = s.dateTime()
		}
		if err != nil {
			return err
		}
	}
}

// decodePolicies decodes the policies array.
func (s *decodeState) decodePolicies(rep *Report) error {
	ok, err := s.beginArray(s.peekKind())
	if !ok || err != nil {
		return err
	}
	s.pushIndex()
	for {
		s.nextIndex()
		switch k := s.peekKind(); k {
		case ']':
			s.pop()
			return s.readDelim()
		case '{':
			if err := s.readDelim(); err != nil {
				return err
			}
			if err := s.grow(int64(unsafe.Sizeof(PolicyResult{}))); err != nil {
				return err
			}
			if rep.Policies == nil {
				if rep.Policies, s.spare = s.spare, nil; rep.Policies == nil {
					rep.Policies = make([]PolicyResult, 0, 2) // most reports: 1 or 2
				}
			}
			rep.Policies = append(rep.Policies, PolicyResult{})
			if err := s.decodePolicyResult(&rep.Policies[len(rep.Policies)-1]); err != nil {
				return err
			}
		case 'n':
			if err := s.null(); err != nil {
				return err
			}
		default:
			return s.wrongType("an object")
		}
	}
}

// decodePolicyResult decodes one policies element after its '{'.
func (s *decodeState) decodePolicyResult(pr *PolicyResult) error {
	var seen uint32
	s.pushName("")
	for {
		m, err := s.nextMember(objPolicyResult, &seen)
		if err != nil {
			return err
		}
		switch m {
		case mNone:
			s.pop()
			return s.checkRequired(objPolicyResult, seen, s.endOffset())
		case mPolicy:
			pr.Policy = policy.Policy{}
			err = s.asLocal(func() error { return s.decodePolicy(&pr.Policy) })
		case mSummary:
			pr.Summary = Summary{}
			err = s.asLocal(func() error { return s.decodeSummary(&pr.Summary) })
		case mFailureDetails:
			pr.FailureDetails = nil
			err = s.decodeFailureDetails(pr)
		}
		if err != nil {
			return err
		}
	}
}

// decodeSummary decodes summary.
func (s *decodeState) decodeSummary(sum *Summary) error {
	ok, err := s.openObject()
	if !ok || err != nil {
		return err
	}
	var seen uint32
	s.pushName("")
	for {
		m, err := s.nextMember(objSummary, &seen)
		if err != nil {
			return err
		}
		switch m {
		case mNone:
			s.pop()
			return s.checkRequired(objSummary, seen, s.endOffset())
		case mSuccessful:
			sum.TotalSuccessfulSessionCount, err = s.count()
		case mFailure:
			sum.TotalFailureSessionCount, err = s.count()
		}
		if err != nil {
			return err
		}
	}
}

// decodeFailureDetails decodes the failure-details array. Elements are
// decoded into chunks of growing size and copied once into a slice of the
// exact length: a large report then allocates about twice its final size
// instead of the five times append's 1.25 growth costs. The first chunk
// is the state's detailArr, so that the few details of most reports cost
// one allocation of their exact size. On the fast pass, an array that
// outgrows it gets one chunk with room for all the elements that may
// follow (detailsHint), kept as the result when it has little to spare:
// one allocation of about the final size, and no copy.
func (s *decodeState) decodeFailureDetails(pr *PolicyResult) error {
	ok, err := s.beginArray(s.peekKind())
	if !ok || err != nil {
		return err
	}
	chunks := s.chunks[:0]
	cur := s.detailArr[:0]
	s.detailsDirty = true
	total := 0
	hinted := false // cur was sized by detailsHint
	s.pushIndex()
	for {
		s.nextIndex()
		switch k := s.peekKind(); k {
		case ']':
			s.pop()
			if n := total + len(cur); n > 0 && hinted && len(chunks) == 0 && cap(cur)-n <= cap(cur)/8 {
				// The hint held them all, with little to spare: keep it.
				pr.FailureDetails = cur[:n:n]
			} else if n > 0 { // [] and absent are the same: nil
				out := make([]FailureDetail, 0, n)
				for _, c := range chunks {
					out = append(out, c...)
				}
				pr.FailureDetails = append(out, cur...)
			}
			clear(chunks)
			s.chunks = chunks[:0]
			clear(s.detailArr[:]) // drop the strings of this report
			s.detailsDirty = false
			return s.readDelim()
		case '{':
			if len(cur) == cap(cur) {
				if hint := s.detailsHint(); !hinted && hint > 0 {
					// Room for every element still to come, at once.
					hinted = true
					out := make([]FailureDetail, 0, total+len(cur)+hint)
					for _, c := range chunks {
						out = append(out, c...)
					}
					clear(chunks)
					chunks, total = chunks[:0], 0
					cur = append(out, cur...)
				} else {
					chunks = append(chunks, cur)
					total += len(cur)
					cur = make([]FailureDetail, 0, min(2*cap(cur), 4096))
				}
			}
			cur = append(cur, FailureDetail{}) // detailArr may hold a failed pass's
			fd := &cur[len(cur)-1]
			if err := s.asLocal(func() error {
				if err := s.readDelim(); err != nil {
					return err
				}
				if err := s.grow(int64(unsafe.Sizeof(FailureDetail{}))); err != nil {
					return err
				}
				return s.decodeDetail(fd)
			}); err != nil {
				return err
			}
		case 'n':
			if err := s.null(); err != nil {
				return err
			}
		default:
			return s.wrongType("an object")
		}
	}
}

// decodeDetail decodes one failure-details element after its '{'.
func (s *decodeState) decodeDetail(fd *FailureDetail) error {
	var seen uint32
	s.pushName("")
	for {
		m, err := s.nextMember(objDetail, &seen)
		if err != nil {
			return err
		}
		switch m {
		case mNone:
			s.pop()
			return s.checkRequired(objDetail, seen, s.endOffset())
		case mResultType:
			fd.ResultType, err = s.resultType()
		case mSendingMTAIP:
			fd.SendingMTAIP, err = s.ip()
		case mReceivingIP:
			fd.ReceivingIP, err = s.ip()
		case mReceivingMXHostname:
			fd.ReceivingMXHostname, err = s.stringValue(true)
		case mReceivingMXHelo:
			fd.ReceivingMXHelo, err = s.stringValue(true)
		case mFailedSessionCount:
			fd.FailedSessionCount, err = s.count()
		case mAdditionalInformation:
			fd.AdditionalInformation, err = s.stringValue(false)
		case mFailureReasonCode:
			fd.FailureReasonCode, err = s.stringValue(true)
		}
		if err != nil {
			return err
		}
	}
}

// decodePolicy decodes policy (RFC 8460 §4.4, §4.5).
func (s *decodeState) decodePolicy(p *policy.Policy) error {
	ok, err := s.openObject()
	if !ok || err != nil {
		return err
	}
	var seen uint32
	var bare bool        // policy-string was a string
	var psOff int64 = -1 // offset of policy-string
	s.pushName("")
	for {
		m, err := s.nextMember(objPolicy, &seen)
		if err != nil {
			return err
		}
		switch m {
		case mNone:
			s.pop()
			if err := s.checkRequired(objPolicy, seen, s.endOffset()); err != nil {
				return err
			}
			if psOff >= 0 {
				return s.fixPolicyStrings(p, bare, psOff)
			}
			return nil
		case mPolicyType:
			var v string
			var off int64
			v, off, err = s.stringValueOff(true)
			if err == nil {
				var changed bool
				p.Type, changed = canonicalPolicyType(v)
				if changed {
					err = s.deviate(CodePolicyTypeCase, off, func() string {
						return s.quotedMsg2("policy-type ", v, " not in RFC spelling; read as ", string(p.Type))
					})
				}
			}
		case mPolicyDomain:
			var v string
			var off int64
			v, off, err = s.stringValueOff(true)
			if err == nil {
				var changed bool
				p.Domain, changed = canonicalDomain(v)
				if changed {
					err = s.deviate(CodeDomainNonCanonical, off, func() string {
						return s.quotedMsg2("policy-domain ", v, " is not a lower-case A-label; rewritten as ", p.Domain)
					})
				}
			}
		case mPolicyString:
			p.Strings, bare, psOff, err = s.policyString()
		case mMXHost:
			p.MXHosts, err = s.mxHost()
		}
		if err != nil {
			return err
		}
	}
}

// policyString reads policy-string: an array of strings, or (a deviation
// fixed later, when the policy-type is known) one string.
func (s *decodeState) policyString() (ss []string, bare bool, off int64, err error) {
	off = s.inputOffset()
	switch k := s.peekKind(); k {
	case '"':
		v, err := s.readValue()
		if err != nil {
			return nil, false, 0, err
		}
		return []string{s.newString(s.unquote(&s.valBuf, v))}, true, s.offset(v), nil
	case '[':
		ss, err = s.stringArray()
		return ss, false, off, err
	case 'n':
		return nil, false, -1, s.null()
	}
	return nil, false, 0, s.wrongType("an array of strings")
}

// fixPolicyStrings applies the policy-string repairs that depend on the
// policy-type.
func (s *decodeState) fixPolicyStrings(p *policy.Policy, bare bool, off int64) error {
	s.pushName(memberNames[mPolicyString])
	defer s.pop()
	if bare {
		// RFC 8460 §4 prose describes policy-string "as a string"; §4.4
		// says array.
		p.Strings = splitPolicyString(p.Type, p.Strings[0])
		if err := s.deviate(CodePolicyStringString, off, func() string {
			return "policy-string is a string, not an array; read as " + itoa(len(p.Strings)) + " elements"
		}); err != nil {
			return err
		}
	}
	out, fixes := canonicalPolicyStrings(p.Type, p.Strings)
	for _, f := range fixes {
		var path string
		if bare {
			path = s.pathHere()
		} else {
			path = s.pathIndex(f.index)
		}
		if err := s.deviateAt(path, f.code, off, func() string { return f.msg }); err != nil {
			return err
		}
	}
	p.Strings = out
	return nil
}

// stringArray reads an array of strings after peeking '['.
func (s *decodeState) stringArray() ([]string, error) {
	if err := s.readDelim(); err != nil {
		return nil, err
	}
	// Collect in a scratch slice and copy once: one allocation per array.
	ss := s.strScratch[:0]
	s.scratchDirty = true
	s.pushIndex()
	for {
		s.nextIndex()
		// On the fast pass a string element is read at once, and so is
		// the array's end (closed); anything else is peeked.
		var v jsontext.Value
		closed := false
		if s.fast {
			if v, _ = s.fs.str(); v == nil {
				closed = s.fs.arrayEnd()
			}
		}
		k := jsontext.Kind('"')
		switch {
		case closed:
			k = ']'
		case v == nil:
			k = s.peekKind()
		}
		switch k {
		case ']':
			s.pop()
			s.strScratch = ss[:0]
			var err error
			if !closed {
				err = s.readDelim()
			}
			if len(ss) == 0 {
				return nil, err // [] decodes as nil, like an absent member
			}
			out := s.newStrings(ss)
			clear(ss) // drop references held by the scratch
			s.scratchDirty = false
			return out, err
		case '"':
			if v == nil {
				var err error
				if v, err = s.readValue(); err != nil {
					return nil, err
				}
			}
			if err := s.grow(int64(unsafe.Sizeof(""))); err != nil {
				return nil, err
			}
			ss = append(ss, s.internString(s.unquote(&s.valBuf, v)))
		case 'n':
			if err := s.null(); err != nil {
				return nil, err
			}
		default:
			return nil, s.wrongType("a string")
		}
	}
}

// mxHost reads mx-host: an array of patterns or, as in RFC 8460
// Appendix B (erratum 6241), one string.
func (s *decodeState) mxHost() ([]string, error) {
	var hosts []string
	switch k := s.peekKind(); k {
	case '"':
		v, err := s.readValue()
		if err != nil {
			return nil, err
		}
		hosts = []string{s.internString(s.unquote(&s.valBuf, v))}
		// QUIRK(RFC 8460 Appendix B, draft-era reports): "mx-host": "…".
		if err := s.deviate(CodeMXHostString, s.offset(v), func() string { return "mx-host is a string, not an array; made a one-element array" }); err != nil {
			return nil, err
		}
	case '[':
		var err error
		if hosts, err = s.stringArray(); err != nil {
			return nil, err
		}
	case 'n':
		return nil, s.null()
	default:
		return nil, s.wrongType("an array of strings")
	}
	for i, h := range hosts {
		c, prefix, changed := canonicalMXHost(h)
		if !prefix && !changed {
			continue
		}
		hosts[i] = c
		path := s.pathIndex(i)
		off := s.inputOffset()
		if prefix {
			if err := s.deviateAt(path, CodeMXHostPrefix, off, func() string {
				return s.quotedMsg("mx-host entry ", h, " has the policy-string \"mx: \" prefix; removed")
			}); err != nil {
				return nil, err
			}
		}
		if changed {
			if err := s.deviateAt(path, CodeDomainNonCanonical, off, func() string {
				return s.quotedMsg2("mx-host entry ", h, " is not a lower-case A-label; rewritten as ", c)
			}); err != nil {
				return nil, err
			}
		}
	}
	return hosts, nil
}

// stringValue reads a string member; null is a deviation ("" is used).
func (s *decodeState) stringValue(intern bool) (string, error) {
	str, _, err := s.stringValueOff(intern)
	return str, err
}

func (s *decodeState) stringValueOff(intern bool) (string, int64, error) {
	v, err := s.readScalar()
	if err != nil {
		return "", 0, err
	}
	off := s.offset(v)
	switch v[0] {
	case '"':
		b := s.unquote(&s.valBuf, v)
		if intern {
			return s.internString(b), off, nil
		}
		return s.newString(b), off, nil
	case 'n':
		return "", off, s.deviate(CodeNullMember, off, func() string { return "null value; treated as absent" })
	}
	return "", off, s.fail(CodeWrongType, off, "got "+kindName(v.Kind())+", want a string")
}

// resultType reads result-type (RFC 8460 §4.3).
func (s *decodeState) resultType() (ResultType, error) {
	v, err := s.readScalar()
	if err != nil {
		return "", err
	}
	off := s.offset(v)
	switch v[0] {
	case '"':
		b := s.unquote(&s.valBuf, v)
		if rt, ok := knownResultType(b); ok {
			return rt, nil
		}
		str := s.internString(b)
		rt, changed := canonicalResultType(str)
		if changed {
			return rt, s.deviate(CodeResultTypeCase, off, func() string {
				return s.quotedMsg2("result-type ", str, " not in registry spelling; read as ", string(rt))
			})
		}
		return rt, nil
	case 'n':
		return "", s.deviate(CodeNullMember, off, func() string { return "null value; treated as absent" })
	}
	return "", s.fail(CodeWrongType, off, "got "+kindName(v.Kind())+", want a string")
}

// ip reads an IP address member (RFC 8460 §4.4: dotted-decimal IPv4 or
// RFC 5952 IPv6).
func (s *decodeState) ip() (netip.Addr, error) {
	if s.fast {
		if a, ok := s.fs.ipv4(); ok {
			return a, nil // canonical IPv4, read at once
		}
	}
	v, err := s.readScalar()
	if err != nil {
		return netip.Addr{}, err
	}
	off := s.offset(v)
	switch v[0] {
	case '"':
	case 'n':
		return netip.Addr{}, s.deviate(CodeNullMember, off, func() string { return "null value; treated as absent" })
	default:
		return netip.Addr{}, s.fail(CodeWrongType, off, "got "+kindName(v.Kind())+", want a string")
	}
	b := s.unquote(&s.valBuf, v)
	if len(b) == 0 {
		return netip.Addr{}, s.deviate(CodeIPInvalid, off, func() string { return "empty IP address; dropped" })
	}
	if a, ok := parseIPv4(b); ok {
		return a, nil // canonical by construction
	}
	if a, ok := s.ipCache[string(b)]; ok {
		return a, nil
	}
	str := string(b)
	a, err := netip.ParseAddr(str)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, s.deviate(CodeIPInvalid, off, func() string { return s.quotedMsg("invalid IP address ", string(b), "; dropped") })
	}
	a = a.Unmap()
	s.ipBuf = a.AppendTo(s.ipBuf[:0])
	if string(s.ipBuf) != str {
		return a, s.deviate(CodeIPNonCanonical, off, func() string {
			return s.quotedMsg2("IP address ", string(b), " not in canonical form; rewritten as ", string(s.ipBuf))
		})
	}
	if s.ipCache == nil {
		s.ipCache = make(map[string]netip.Addr)
	}
	if len(s.ipCache) < 4096 {
		s.ipCache[str] = a
	}
	return a, nil
}

// parseIPv4 parses canonical dotted-decimal IPv4 (no leading zeros), the
// common case, without allocating; anything else is left to netip.
func parseIPv4(b []byte) (netip.Addr, bool) {
	var ip [4]byte
	part, digits, val := 0, 0, 0
	for i := 0; i <= len(b); i++ {
		if i == len(b) || b[i] == '.' {
			if digits == 0 || part > 3 {
				return netip.Addr{}, false
			}
			ip[part] = byte(val)
			part++
			digits, val = 0, 0
			continue
		}
		c := b[i]
		if c < '0' || c > '9' || (digits == 1 && val == 0) {
			return netip.Addr{}, false
		}
		val = val*10 + int(c-'0')
		digits++
		if val > 255 {
			return netip.Addr{}, false
		}
	}
	if part != 4 {
		return netip.Addr{}, false
	}
	return netip.AddrFrom4(ip), true
}

// count reads a session count: a non-negative integer (RFC 8460 §4.4)
// within the I-JSON range (RFC 7493 §2.2).
func (s *decodeState) count() (int64, error) {
	if s.fast {
		if n, ok := s.fs.count(); ok {
			return n, nil // plain digits, read at once
		}
	}
	v, err := s.readValue()
	if err != nil {
		return 0, err
	}
	off := s.offset(v)
	switch v[0] {
	case '"':
		b := s.unquote(&s.valBuf, v)
		n, ok := parseDigits(b)
		if !ok {
			return 0, s.fail(CodeInvalidCount, off, "count "+quoteShort(b)+" is not a non-negative integer")
		}
		return n, s.deviate(CodeCountString, off, func() string {
			return "count written as the string " + quoteShort(b) + "; read as " + strconv.FormatInt(n, 10)
		})
	case 'n':
		return 0, s.deviate(CodeNullMember, off, func() string { return "null value; treated as absent" })
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
	default:
		return 0, s.fail(CodeWrongType, off, "got "+kindName(v.Kind())+", want a number")
	}
	if n, ok := parseDigits(v); ok {
		return n, nil
	}
	f, err := strconv.ParseFloat(string(v), 64)
	switch {
	case err != nil || f > maxCount:
		return 0, s.fail(CodeInvalidCount, off, "count "+quoteShort(v)+" is beyond 2^53-1 (RFC 7493 §2.2)")
	case f < 0:
		return 0, s.fail(CodeInvalidCount, off, "count "+quoteShort(v)+" is negative")
	case f != float64(int64(f)):
		return 0, s.fail(CodeInvalidCount, off, "count "+quoteShort(v)+" is not an integer")
	}
	n := int64(f)
	return n, s.deviate(CodeCountFormat, off, func() string { return "count written as " + quoteShort(v) + "; read as " + strconv.FormatInt(n, 10) })
}

// parseDigits parses a non-empty run of ASCII digits up to maxCount.
func parseDigits(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 16 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, n <= maxCount
}
