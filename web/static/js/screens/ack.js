// The acknowledgement link of an e-mail or SMS (/ack#<token>): confirms the
// week without signing in.
import { renderAckLink } from "../comms.js";

export async function render(main, ctx) { await renderAckLink(main, ctx); }
