// The quick exit, and a visit that leaves as little trace as a browser allows.
//
// Without this file the "Quick exit" button is still a plain link to a neutral site. With it:
// - the button (or Shift pressed three times within a second, and nothing else in between)
//   hides the page at once and *replaces* the current history entry with the neutral site,
//   so "Back" does not bring this site back;
// - links and forms inside the site replace the current entry too, so the whole visit takes
//   a single place in the history, and that is the place the quick exit overwrites.
// No inline scripts, nothing from another origin: a strict Content-Security-Policy holds.
(function () {
  "use strict";

  var exitLink = document.getElementById("quick-exit");
  if (!exitLink) {
    return;
  }
  var neutral = exitLink.href;
  var leaving = false;

  function leave(event) {
    if (event) {
      event.preventDefault();
    }
    if (leaving) {
      return;
    }
    leaving = true;
    // Nothing of this site stays on screen while the other site loads.
    document.title = "";
    if (document.body) {
      document.body.hidden = true;
    }
    window.location.replace(neutral);
  }

  exitLink.addEventListener("click", leave);

  // Three bare Shift presses within a second. Any other key resets the count, so typing
  // capital letters in a form never sends her away by accident.
  var shiftTimes = [];
  document.addEventListener(
    "keydown",
    function (event) {
      if (event.key !== "Shift") {
        shiftTimes = [];
        return;
      }
      if (event.repeat) {
        return;
      }
      var now = Date.now();
      shiftTimes = shiftTimes.filter(function (t) {
        return now - t < 1000;
      });
      shiftTimes.push(now);
      if (shiftTimes.length >= 3) {
        leave(event);
      }
    },
    true
  );

  function sameOrigin(url) {
    return url.origin === window.location.origin;
  }

  // Links inside the site: replace this entry instead of adding one.
  document.addEventListener("click", function (event) {
    if (
      event.defaultPrevented ||
      event.button !== 0 ||
      event.metaKey ||
      event.ctrlKey ||
      event.shiftKey ||
      event.altKey
    ) {
      return;
    }
    var link = event.target.closest ? event.target.closest("a[href]") : null;
    if (!link || link === exitLink || link.target || link.hasAttribute("download")) {
      return;
    }
    var url = new URL(link.href, window.location.href);
    if (!sameOrigin(url)) {
      return;
    }
    var here = window.location;
    if (url.hash && url.pathname === here.pathname && url.search === here.search) {
      return; // a jump within the page ("Skip to content")
    }
    event.preventDefault();
    window.location.replace(url.href);
  });

  function showResponse(html) {
    // The form came back with messages beside its fields: put the new page's content in
    // place of the old one, without a new history entry.
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.querySelector("main");
    var current = document.querySelector("main");
    if (!fresh || !current) {
      return false;
    }
    current.replaceWith(fresh);
    document.title = doc.title;
    var problem =
      fresh.querySelector("[aria-invalid=true], .has-error input, .has-error select") ||
      fresh.querySelector("[role=alert]");
    if (problem) {
      if (!problem.hasAttribute("tabindex") && problem.getAttribute("role") === "alert") {
        problem.setAttribute("tabindex", "-1");
      }
      problem.focus();
      problem.scrollIntoView({ block: "center" });
    }
    return true;
  }

  // Forms inside the site: sent in the background; the page they lead to replaces this one.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset.plainSubmit || event.defaultPrevented || !window.fetch || !window.DOMParser) {
      return;
    }
    if ((form.getAttribute("method") || "get").toLowerCase() !== "post") {
      return;
    }
    var action = new URL(form.getAttribute("action") || window.location.href, window.location.href);
    if (!sameOrigin(action)) {
      return;
    }
    event.preventDefault();
    var body = new FormData(form);
    var submitter = event.submitter;
    if (submitter && submitter.name) {
      body.append(submitter.name, submitter.value);
    }
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (b) {
      b.disabled = true;
    });
    fetch(action.href, { method: "POST", body: body, credentials: "same-origin" })
      .then(function (response) {
        if (response.redirected) {
          window.location.replace(response.url);
          return null;
        }
        return response.text().then(function (html) {
          if (!showResponse(html)) {
            window.location.replace(window.location.href);
          }
        });
      })
      .catch(function () {
        // Offline or refused: let the browser send it the ordinary way.
        buttons.forEach(function (b) {
          b.disabled = false;
        });
        form.dataset.plainSubmit = "1";
        if (form.requestSubmit) {
          form.requestSubmit(submitter && submitter.form === form ? submitter : undefined);
        } else {
          form.submit();
        }
      });
  });
})();
