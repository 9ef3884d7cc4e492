package emulator

import (
	"math/rand/v2"
	"strings"
)

// phrases are the pieces replies are made of, Chinese and English mixed so
// byte and rune counts differ, as they do in real traffic.
var phrases = [...]string{
	"你好", "！", "这是", "模拟的", "回答", "，", "used by ", "HarborAI ",
	"to test ", "token ", "usage ", "记录", "与", "计费", "。", " ",
}

// pieces returns the n content chunks of a reply; the same n always gives
// the same text.
func pieces(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = phrases[i%len(phrases)]
	}
	return out
}

const idAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// randomID returns prefix followed by n random alphanumerics.
func randomID(prefix string, n int) string {
	return prefix + randomFrom(idAlphabet, n)
}

// randomHex returns n random lower-case hex digits.
func randomHex(n int) string { return randomFrom("0123456789abcdef", n) }

func randomFrom(alphabet string, n int) string {
	var b strings.Builder
	b.Grow(n)
	for range n {
		b.WriteByte(alphabet[rand.IntN(len(alphabet))])
	}
	return b.String()
}

// randomUUID returns a random version 4 UUID string.
func randomUUID() string {
	h := randomHex(32)
	return h[0:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:32]
}
