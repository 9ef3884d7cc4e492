package record

// Merge combines two fragments of the same call. Each side (header, request,
// response) is taken from the fragment that has it; when both have a side,
// the one with the smaller event id wins, so the result does not depend on
// the order of the arguments and merging a fragment twice changes nothing.
// The PostgreSQL writer applies the same rule in SQL.
func Merge(a, b Call) Call {
	out := a
	if !a.HasRequest() && !a.HasResponse() || preferHeader(b, a) {
		copyHeader(&out, &b)
	}
	if b.HasRequest() && (!a.HasRequest() || b.RequestEventID < a.RequestEventID) {
		out.RequestEventID, out.RequestBody = b.RequestEventID, b.RequestBody
	}
	if b.HasResponse() && (!a.HasResponse() || b.ResponseEventID < a.ResponseEventID) {
		copyResponse(&out, &b)
	}
	if b.SpoolReason != "" && (a.SpoolReason == "" || b.SpoolReason < a.SpoolReason) {
		out.SpoolReason = b.SpoolReason
	}
	return out
}

// preferHeader reports whether b's header should replace a's: the header of
// the fragment with the smallest event id wins.
func preferHeader(b, a Call) bool {
	return minEventID(b) != "" && (minEventID(a) == "" || minEventID(b) < minEventID(a))
}

func minEventID(c Call) string {
	switch {
	case c.RequestEventID == "":
		return c.ResponseEventID
	case c.ResponseEventID == "" || c.RequestEventID < c.ResponseEventID:
		return c.RequestEventID
	default:
		return c.ResponseEventID
	}
}

func copyHeader(dst, src *Call) {
	dst.CallID, dst.HBTraceID, dst.TraceID, dst.SpanID, dst.ParentSpanID = src.CallID, src.HBTraceID, src.TraceID, src.SpanID, src.ParentSpanID
	dst.Provider, dst.Model, dst.Endpoint, dst.Stream, dst.StartedAt, dst.Tags = src.Provider, src.Model, src.Endpoint, src.Stream, src.StartedAt, src.Tags
}

func copyResponse(dst, src *Call) {
	dst.ResponseEventID, dst.Status, dst.HTTPStatus, dst.FinishedAt = src.ResponseEventID, src.Status, src.HTTPStatus, src.FinishedAt
	dst.LatencyMS, dst.TTFTMS, dst.TokensPerSecond, dst.ServedModel = src.LatencyMS, src.TTFTMS, src.TokensPerSecond, src.ServedModel
	dst.ErrorType, dst.ErrorMessage, dst.ResponseBody = src.ErrorType, src.ErrorMessage, src.ResponseBody
	dst.Usage, dst.Cost = src.Usage, src.Cost
}

// MergeBatch merges the fragments of each call in calls, keeping the order
// in which call ids first appear. key, when not nil, maps a call id to the
// id it is stored under (a store that normalises ids).
func MergeBatch(calls []Call, key func(string) string) []Call {
	out := make([]Call, 0, len(calls))
	index := make(map[string]int, len(calls))
	for _, c := range calls {
		if key != nil {
			c.CallID = key(c.CallID)
		}
		if i, ok := index[c.CallID]; ok {
			out[i] = Merge(out[i], c)
			continue
		}
		index[c.CallID] = len(out)
		out = append(out, c)
	}
	return out
}
