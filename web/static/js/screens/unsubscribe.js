// Unsubscribe: the page an e-mail's unsubscribe link opens. It works
// without signing in (the link's token is the authorization) and acts only
// when the button is pressed, so mail scanners that open links change
// nothing.
import { h, mount, alertBox } from "../ui.js";

const LABELS = { shift: "new or changed shifts", reminder: "shift reminders", swap: "swap decisions", timeoff: "time off decisions", announcement: "announcements", request: "requests waiting for you" };

export async function render(main, ctx) {
  const token = new URLSearchParams(location.search).get("token") || "";
  const msg = h("div", { "aria-live": "polite" });
  const btn = h("button.primary", { type: "button", id: "unsubscribe" }, "Unsubscribe");
  btn.addEventListener("click", async () => {
    btn.disabled = true;
    try {
      const out = await ctx.api.post("/unsubscribe", { token }, { noAuthRedirect: true });
      mount(msg, alertBox("ok", out.kind ? `Done: no more e-mails about ${LABELS[out.kind] || out.kind}.` : "Done: no more e-mails."),
        h("p", "Change your mind, or choose other ways to hear from us, under ", h("a", { href: "/preferences" }, "My preferences"), "."));
    } catch (err) { btn.disabled = false; mount(msg, alertBox("error", err.status === 410 ? "This link has expired. Sign in and use My preferences instead." : err.message)); }
  });
  mount(main, h("div.stack.signin", h("h1", "Unsubscribe"),
    token ? h("p", "Stop the e-mails this link came in?") : alertBox("error", "This link is incomplete."), token ? btn : null, msg));
}
