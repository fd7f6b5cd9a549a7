/*
 * Cards through Stripe.js (docs/DESIGN.md §7), on the pages that load it after Stripe.js.
 *
 * A form with data-card-form (checkout, "Revise payment") shows Stripe's card element:
 * on submit it asks the portal (data-setup-url, POST with the form's CSRF token) for a
 * SetupIntent's client secret, has Stripe.js confirm the card with it (the card number
 * goes to Stripe, never to the portal), puts the payment method Stripe made into the
 * hidden payment_method field and submits the form.
 *
 * A form with data-card-confirm (3-D Secure) has Stripe.js confirm the payment of each
 * element with data-client-secret, then submits: the portal asks the bank's answer
 * again and records it, whatever happened in the browser.
 *
 * Both forms are hidden until this script shows them; without JavaScript the page's
 * <noscript> box says why, and when Stripe.js did not load, [data-card-unavailable] does.
 */
(function () {
  "use strict";

  const cardForm = document.querySelector("form[data-card-form]");
  const confirmForm = document.querySelector("form[data-card-confirm]");
  const form = cardForm || confirmForm;
  if (!form) {
    return;
  }
  if (typeof window.Stripe !== "function") {
    const unavailable = document.querySelector("[data-card-unavailable]");
    if (unavailable) {
      unavailable.hidden = false;
    }
    return;
  }
  const stripe = window.Stripe(form.dataset.publishableKey);
  const button = form.querySelector("button[type=submit]");

  function csrfToken() {
    return form.querySelector("input[name=csrfmiddlewaretoken]").value;
  }

  async function cardSetupSecret() {
    const answer = await fetch(form.dataset.setupUrl, {
      method: "POST",
      headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
      credentials: "same-origin",
    });
    const body = await answer.json().catch(() => ({}));
    if (!answer.ok || !body.client_secret) {
      throw new Error(body.error || "Something went wrong: reload the page and try again.");
    }
    return body.client_secret;
  }

  function setUpCardForm() {
    const card = stripe.elements().create("card");
    const errors = form.querySelector("[data-card-errors]");
    const field = form.querySelector("input[name=payment_method]");
    card.mount(form.querySelector("[data-card-element]"));
    card.on("change", (event) => {
      if (event && event.error) {
        errors.textContent = event.error.message;
      } else if (event) {
        errors.textContent = "";
      }
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      button.disabled = true;
      errors.textContent = "";
      try {
        const secret = await cardSetupSecret();
        const result = await stripe.confirmCardSetup(secret, { payment_method: { card: card } });
        if (result.error) {
          throw new Error(
            result.error.message || "Your card could not be used: check it, or try another card.",
          );
        }
        field.value = result.setupIntent.payment_method;
        form.submit();
      } catch (error) {
        errors.textContent = error.message;
        button.disabled = false;
      }
    });
  }

  function setUpConfirmForm() {
    const secrets = Array.from(document.querySelectorAll("[data-client-secret]"), (element) =>
      element.getAttribute("data-client-secret"),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      button.disabled = true;
      for (const secret of secrets) {
        try {
          // Stripe.js shows the bank's challenge; success or not, the portal asks the
          // bank's answer when the form is submitted.
          await stripe.confirmCardPayment(secret);
        } catch (error) {
          // The same: the portal's answer decides.
        }
      }
      form.submit();
    });
  }

  if (cardForm) {
    setUpCardForm();
  } else {
    setUpConfirmForm();
  }
  form.hidden = false;
})();
