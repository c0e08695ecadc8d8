// Behaviour for every page, kept out of the templates: the Content Security Policy refuses
// inline scripts and on* attributes. Elements say what they want with data-* attributes.

// <button data-print> prints the page (recording sheets, IV records).
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});

// The group grid saves a cell when its select changes. A refused save (409: someone else
// changed it first; 400: it cannot be saved; 403: not allowed) is answered with the cell as
// stored and why, which htmx 2 would not swap in by default: swap it, so the cell never shows
// a value that was not saved. Only grid cells, and only when the answer is a cell.
var GRID_REFUSALS = [400, 403, 409];

function gridCellOf(element) {
  return element && element.closest ? element.closest("td[data-grid-cell]") : null;
}

document.addEventListener("htmx:beforeSwap", function (event) {
  var detail = event.detail;
  if (
    GRID_REFUSALS.indexOf(detail.xhr.status) !== -1 &&
    gridCellOf(detail.elt) &&
    typeof detail.serverResponse === "string" &&
    detail.serverResponse.indexOf("data-grid-cell") !== -1
  ) {
    detail.shouldSwap = true;
    detail.isError = false;
  }
});

// Any other failure (signed out, a server error, no network): put the stored value back in
// the cell's select and say in the cell and the status line that nothing was saved.
function gridSaveFailed(event, why) {
  var cell = gridCellOf(event.detail.elt);
  if (!cell) {
    return;
  }
  var select = cell.querySelector("select");
  if (select) {
    for (var i = 0; i < select.options.length; i++) {
      if (select.options[i].defaultSelected) {
        select.selectedIndex = i;
      }
    }
  }
  var note = cell.querySelector(".cell-message");
  if (!note) {
    note = document.createElement("p");
    note.className = "cell-message small mb-0";
    note.id = "msg-" + cell.id;
    cell.appendChild(note);
    if (select) {
      select.setAttribute("aria-describedby", note.id);
    }
  }
  note.textContent = why;
  cell.classList.add("cell-refused");
  var status = document.getElementById("grid-status");
  if (status) {
    status.textContent = why;
  }
}

document.addEventListener("htmx:responseError", function (event) {
  gridSaveFailed(
    event,
    "Not saved (error " +
      event.detail.xhr.status +
      "): the cell shows the stored decision. Reload the page, then try again."
  );
});

document.addEventListener("htmx:sendError", function (event) {
  gridSaveFailed(
    event,
    "Not saved: the server could not be reached. The cell shows the stored decision."
  );
});

// Upload forms: a file input with data-max-bytes refuses a larger file as soon as it is
// chosen, before anything is sent (a phone video can be hundreds of megabytes); the server
// checks the size again. The message sits under the field and is announced.
function sizeMessageFor(input) {
  var id = input.id + "-size-message";
  var note = document.getElementById(id);
  if (!note) {
    note = document.createElement("p");
    note.id = id;
    note.className = "invalid-feedback d-block size-message";
    note.setAttribute("role", "alert");
    input.insertAdjacentElement("afterend", note);
    var described = input.getAttribute("aria-describedby");
    input.setAttribute("aria-describedby", described ? described + " " + id : id);
  }
  return note;
}

function megabytes(bytes) {
  return (bytes / (1024 * 1024)).toFixed(1) + " MB";
}

function fileTooLarge(input) {
  var limit = parseInt(input.getAttribute("data-max-bytes"), 10);
  var file = input.files && input.files[0];
  if (!limit || !file || file.size <= limit) {
    return false;
  }
  sizeMessageFor(input).textContent =
    file.name +
    " is " +
    megabytes(file.size) +
    ", larger than the " +
    (input.getAttribute("data-max-size") || megabytes(limit)) +
    " limit, so it was not sent. Make it smaller (or split it into parts), then choose it again.";
  input.classList.add("is-invalid");
  input.setAttribute("aria-invalid", "true");
  input.value = "";
  return true;
}

document.addEventListener("change", function (event) {
  var input = event.target;
  if (!input.matches || !input.matches("input[type=file][data-max-bytes]")) {
    return;
  }
  if (!fileTooLarge(input)) {
    var note = document.getElementById(input.id + "-size-message");
    if (note) {
      note.textContent = "";
    }
    input.classList.remove("is-invalid");
    input.removeAttribute("aria-invalid");
  }
});

document.addEventListener("submit", function (event) {
  var inputs = event.target.querySelectorAll("input[type=file][data-max-bytes]");
  for (var i = 0; i < inputs.length; i++) {
    // A refused file leaves the field empty with its message: ask again rather than send.
    var refused = !inputs[i].value && inputs[i].getAttribute("aria-invalid") === "true" &&
      document.getElementById(inputs[i].id + "-size-message");
    if (refused || fileTooLarge(inputs[i])) {
      event.preventDefault();
      inputs[i].focus();
      return;
    }
  }
});

// A page that comes back with an error summary moves focus to it, so it is read first.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
  }
});
