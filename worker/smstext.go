package worker

import (
	"fmt"
	"strings"
)

// smsMax bounds a text: one GSM-7 segment with room for the prefix.
const smsMax = 160

// gsm7 replaces the characters our texts use that GSM-7 lacks: one of them
// would make the whole text UCS-2, 70 characters a segment.
var gsm7 = strings.NewReplacer("–", "-", "—", "-", "→", "->", "…", "...", "’", "'")

// smsText prefixes the sender's name and keeps a text to one segment.
func smsText(body string) string {
	s := gsm7.Replace("CrumbCommander: " + body)
	if r := []rune(s); len(r) > smsMax {
		s = string(r[:smsMax-3]) + "..."
	}
	return s
}

// shiftSMS is the text of a shift event: what happened and the first
// shift's day and times in the store's zone.
func shiftSMS(event string, views []shiftView) string {
	what, many := "New shift", "%d new shifts, first"
	switch event {
	case EventShiftChanged:
		what, many = "Shift changed", "%d shifts changed, first"
	case EventShiftCancelled:
		what, many = "Shift cancelled", "%d shifts cancelled, first"
	}
	if len(views) > 1 {
		what = fmt.Sprintf(many, len(views))
	}
	v := views[0]
	s := fmt.Sprintf("%s: %s %s–%s", what, v.Day, v.From, v.To)
	if v.Position != "" {
		s += " (" + strings.TrimSpace(v.Position) + ")"
	}
	return smsText(s + ".")
}
