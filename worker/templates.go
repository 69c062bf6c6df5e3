package worker

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"

	"github.com/crumbcommander/crumb/internal/cloud/mail"
)

//go:embed templates/*.txt templates/*.html
var templateFS embed.FS

// Template kinds: each has templates/<kind>.txt (subject, text) and
// templates/<kind>.html (html).
const (
	tmplShift    = "shift"
	tmplReminder = "reminder"
	tmplTimeOff  = "timeoff"
	tmplSwap     = "swap"
	tmplReport   = "report"
	tmplAlarm    = "alarm"
	tmplRequest  = "request"

	tmplAnnouncement = "announcement"
	tmplAckReminder  = "ackreminder"
)

type mailTemplates struct {
	text map[string]*texttemplate.Template
	html map[string]*htmltemplate.Template
}

// templates are parsed once; a broken template fails every test at start.
var templates = mustParseTemplates()

func mustParseTemplates() mailTemplates {
	t := mailTemplates{text: map[string]*texttemplate.Template{}, html: map[string]*htmltemplate.Template{}}
	for _, k := range []string{tmplShift, tmplReminder, tmplTimeOff, tmplSwap, tmplReport, tmplAlarm, tmplRequest, tmplAnnouncement, tmplAckReminder} {
		t.text[k] = texttemplate.Must(texttemplate.New(k).ParseFS(templateFS, "templates/"+k+".txt", "templates/footer.txt"))
		t.html[k] = htmltemplate.Must(htmltemplate.New(k).ParseFS(templateFS, "templates/"+k+".html", "templates/footer.html"))
	}
	return t
}

// PreferencesPath is the app's "My preferences" screen; every e-mail's
// footer links to it.
const PreferencesPath = "/preferences"

// UnsubscribePath is the app page an e-mail's unsubscribe link opens (with
// ?token=): it works without signing in.
const UnsubscribePath = "/unsubscribe"

// render builds the message of kind for data, adding the footer's link to
// the person's preferences as Prefs.
func (h *Handlers) render(kind, to string, data map[string]any) (mail.Message, error) {
	data["Prefs"] = h.BaseURL + PreferencesPath
	var subj, text, html bytes.Buffer
	if err := templates.text[kind].ExecuteTemplate(&subj, "subject", data); err != nil {
		return mail.Message{}, fmt.Errorf("worker: template %s subject: %w", kind, err)
	}
	if err := templates.text[kind].ExecuteTemplate(&text, "text", data); err != nil {
		return mail.Message{}, fmt.Errorf("worker: template %s text: %w", kind, err)
	}
	if err := templates.html[kind].ExecuteTemplate(&html, "html", data); err != nil {
		return mail.Message{}, fmt.Errorf("worker: template %s html: %w", kind, err)
	}
	return mail.Message{To: to, Subject: strings.TrimSpace(subj.String()), Text: strings.TrimSpace(text.String()) + "\n", HTML: html.String()}, nil
}
