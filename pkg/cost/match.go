package cost

import "strings"

// candidates returns the names model is priced under, most specific first:
// model itself, then every shorter name it extends with a dated suffix,
// longest first. "gpt-4o-2024-08-06" gives ["gpt-4o-2024-08-06", "gpt-4o"];
// "gpt-4o" gives only ["gpt-4o"], so gpt-4o is never priced as gpt-4, and
// "gpt-4.1-mini-2025-04-14" gives ["gpt-4.1-mini-2025-04-14", "gpt-4.1-mini"].
func candidates(model string) []string { return appendCandidates(nil, model) }

// appendCandidates appends candidates(model) to dst: callers pass a buffer
// on their stack, so that finding a price allocates nothing.
func appendCandidates(dst []string, model string) []string {
	dst = append(dst, model)
	for i := len(model) - 1; i > 0; i-- {
		if (model[i] == '-' || model[i] == '@') && isDatedSuffix(model[i+1:]) {
			dst = append(dst, model[:i])
		}
	}
	return dst
}

// isDatedSuffix reports whether s (the text after a "-" or "@") is a date
// stamp vendors append to a model name, optionally followed by "-preview":
// 2024-08-06, 20240806, 250115 (YYMMDD) or 0613 (MMDD). Anything else
// ("mini", "32k", "turbo", "latest", "001", "preview-05-06") is a different
// model, which must be priced under its own name.
func isDatedSuffix(s string) bool {
	s = strings.TrimSuffix(s, "-preview")
	switch len(s) {
	case 8: // YYYYMMDD
		return isDigits(s) && validMonthDay(s[4:6], s[6:8])
	case 6: // YYMMDD
		return isDigits(s) && validMonthDay(s[2:4], s[4:6])
	case 4: // MMDD
		return isDigits(s) && validMonthDay(s[0:2], s[2:4])
	case 10: // YYYY-MM-DD
		return s[4] == '-' && s[7] == '-' && isDigits(s[:4]) && isDigits(s[5:7]) && isDigits(s[8:]) &&
			validMonthDay(s[5:7], s[8:10])
	}
	return false
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// validMonthDay reports whether two 2-digit strings are a month and a day.
func validMonthDay(mm, dd string) bool {
	m := int(mm[0]-'0')*10 + int(mm[1]-'0')
	d := int(dd[0]-'0')*10 + int(dd[1]-'0')
	return m >= 1 && m <= 12 && d >= 1 && d <= 31
}
