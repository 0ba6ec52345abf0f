#pragma once
// The web dashboard the gateway serves at `/`: one self-contained page (HTML, CSS and JavaScript
// compiled into the binary; no build step, nothing fetched from elsewhere — its Content-Security-
// Policy forbids it). It reads only the gateway's own JSON API: /v1/status, /v1/replicas,
// /v1/stats, /v1/blocks and the /v1/events stream, and /v1/balance for account lookups.
// The browser does not verify BLS signatures itself: blocks and balances are shown as "verified
// by gateway", which is what they are (docs/wallet.md, "Dashboard").
#include <string>

namespace rampart::gateway {

const std::string& dashboard_html();
// The Content-Security-Policy served with it: scripts, styles and connections to this origin only.
const char* dashboard_csp();

}  // namespace rampart::gateway
