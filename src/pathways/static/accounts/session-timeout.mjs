// Idle sign-out warning. Progressive enhancement only: without this script the server still
// signs a person out after their idle timeout and the sign-in page says why.
//
// The page carries <template id="app-session-timeout"> (accounts/session_timeout.html) with
// how long the session has left, the dialog's markup and its wording. A little before the
// end, the script asks the server how long is really left (another tab may have kept the
// session alive), then opens the dialog: "Stay signed in" asks the server to keep the
// session; "Sign out" signs out. When the time is up, the script asks the server again,
// which signs the session out, and goes to the sign-in page.

const CHECK_WHILE_OPEN_MS = 15_000; // other tabs may keep the session alive meanwhile
const RETRY_AT_END_MS = 5_000;

const config = document.getElementById("app-session-timeout");
if (config && "showModal" in HTMLDialogElement.prototype) {
  start(config);
}

function start(config) {
  const data = config.dataset;
  const warningMs = Number(data.warningSeconds) * 1000;
  const fragment = config.content.cloneNode(true);
  const dialog = fragment.querySelector("dialog");
  document.body.append(fragment);
  const countdown = dialog.querySelector("[data-app-countdown]");
  const announcer = dialog.querySelector("[data-app-announce]");
  const stay = dialog.querySelector("[data-app-stay]");

  let deadline = Date.now() + Number(data.expiresIn) * 1000;
  let lastCheck = 0;
  let checking = false;
  let lastAnnounced = null;
  let returnFocusTo = null;

  function spoken(ms) {
    const seconds = Math.max(0, Math.ceil(ms / 1000));
    if (seconds >= 60) {
      const minutes = Math.ceil(seconds / 60);
      return minutes === 1 ? data.textMinute : data.textMinutes.replace("{n}", minutes);
    }
    return seconds === 1 ? data.textSecond : data.textSeconds.replace("{n}", seconds);
  }

  function announce(ms) {
    const text = data.textAnnounce.replace("{time}", spoken(ms));
    if (text !== lastAnnounced) {
      announcer.textContent = text;
      lastAnnounced = text;
    }
  }

  function signedOut() {
    const here = window.location.pathname + window.location.search;
    window.location.assign(`${data.signInUrl}?next=${encodeURIComponent(here)}`);
  }

  async function ask(method) {
    checking = true;
    lastCheck = Date.now();
    try {
      const headers = { Accept: "application/json" };
      if (method === "POST") headers["X-CSRFToken"] = data.csrfToken;
      const response = await fetch(data.statusUrl, {
        method,
        headers,
        credentials: "same-origin",
        cache: "no-store",
        redirect: "manual",
      });
      // 401: the server has just signed this session out. A redirect: it was already
      // signed out (the status URL sends anonymous visitors to sign in).
      if (response.type === "opaqueredirect" || response.status === 401) {
        signedOut();
        return;
      }
      if (!response.ok) return; // e.g. a stale CSRF token: keep the time we have
      const status = await response.json();
      if (!status.signed_in) {
        signedOut();
        return;
      }
      deadline = Date.now() + status.expires_in * 1000;
    } catch {
      // Offline for a moment: keep counting down on the time we have.
    } finally {
      checking = false;
    }
  }

  function open() {
    returnFocusTo = document.activeElement;
    lastAnnounced = null;
    dialog.showModal();
    stay.focus();
  }

  function close() {
    if (dialog.open) dialog.close();
    announcer.textContent = "";
    if (returnFocusTo && typeof returnFocusTo.focus === "function") returnFocusTo.focus();
  }

  async function staySignedIn() {
    await ask("POST");
    close();
  }

  async function tick() {
    if (checking) return;
    const left = deadline - Date.now();
    if (left <= 0) {
      if (Date.now() - lastCheck >= RETRY_AT_END_MS) await ask("GET");
      return;
    }
    if (!dialog.open) {
      if (left > warningMs) return;
      await ask("GET"); // has another tab kept the session alive?
      if (deadline - Date.now() > warningMs) return;
      open();
    } else if (Date.now() - lastCheck >= CHECK_WHILE_OPEN_MS) {
      await ask("GET");
      if (deadline - Date.now() > warningMs) {
        close();
        return;
      }
    }
    const remaining = deadline - Date.now();
    countdown.textContent = spoken(remaining);
    const seconds = Math.ceil(remaining / 1000);
    if (seconds % 60 === 0 || seconds === 20 || lastAnnounced === null) announce(remaining);
  }

  stay.addEventListener("click", staySignedIn);
  // Escape means "not now", which here is the same as staying signed in.
  dialog.addEventListener("cancel", (event) => {
    event.preventDefault();
    staySignedIn();
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") tick();
  });
  window.setInterval(tick, 1000);
}
