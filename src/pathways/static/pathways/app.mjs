// Progressive enhancement only: every page works without this file.
import { initAll } from "../vendor/govuk-frontend/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();

// Auto-submit controls marked data-app-autosubmit (e.g. filter selects) when JavaScript runs.
for (const element of document.querySelectorAll("[data-app-autosubmit]")) {
  element.addEventListener("change", () => element.form && element.form.requestSubmit());
}
