// Sign-in: e-mail and password, clear errors (wrong credentials, too many
// attempts, offline), then on to the role's home screen.
import { h, mount, field, alertBox } from "../ui.js";

export function render(main, ctx) {
  const email = field("E-mail", { type: "email", name: "email", autocomplete: "username", required: true, autofocus: true });
  const password = field("Password", { type: "password", name: "password", autocomplete: "current-password", required: true });
  const msg = h("div", { id: "login-msg", "aria-live": "assertive" });
  const submit = h("button.primary", { type: "submit" }, "Sign in");
  const form = h("form.card.stack", { novalidate: true, "aria-labelledby": "login-title" },
    h("h1.row", { id: "login-title" }, h("img", { src: "/icon.svg", alt: "", width: 40, height: 40 }), "CrumbCommander"),
    h("p.muted", "Sign in to see your schedule."),
    msg, email, password, submit);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    email.setError(""); password.setError(""); mount(msg);
    const em = email.input.value.trim(), pw = password.input.value;
    let bad = false;
    if (!em || !email.input.checkValidity()) { email.setError("Enter the e-mail address you sign in with."); bad = true; }
    if (!pw) { password.setError("Enter your password."); bad = true; }
    if (bad) { (email.input.getAttribute("aria-invalid") ? email.input : password.input).focus(); return; }
    submit.disabled = true; submit.textContent = "Signing in…";
    try {
      await ctx.api.post("/auth/login", { email: em, password: pw }, { noAuthRedirect: true });
      await ctx.onSignedIn();
    } catch (err) {
      let text = err.message;
      if (err.status === 401) text = "That e-mail and password do not match. Check both and try again.";
      else if (err.status === 429) text = "Too many attempts. Wait a few minutes, then try again.";
      else if (err.status === 422 && err.fields) {
        if (err.fields.email) email.setError(err.fields.email);
        if (err.fields.password) password.setError(err.fields.password);
      }
      mount(msg, alertBox("error", text));
      password.input.value = "";
      password.input.focus();
    } finally {
      submit.disabled = false; submit.textContent = "Sign in";
    }
  });
  mount(main, h("div.signin", form));
}
