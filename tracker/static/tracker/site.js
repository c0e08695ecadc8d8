// Behaviour for every page, kept out of the templates: the Content Security Policy refuses
// inline scripts and on* attributes. Elements say what they want with data-* attributes.

// <button data-print> prints the page (recording sheets, IV records).
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});

// The group grid (tracker/templates/tracker/assessment/grid.html). Cells are plain <td>s
// kept small: the learner-unit is on the row (data-e, data-l), the criterion or topic key on
// the column header (data-k), the decision's revision on the cell (data-v, absent for 0), and
// the URLs are templates on the table (data-decide, data-mark with {l} and {e}). One cell at
// a time is in the tab order; the arrow keys move, A and N set a status, Enter opens the
// marking page. Shift+arrows / Shift+click select a block, a column header button selects a
// column, and the bulk buttons (or A/N with a selection) ask once, then post every cell.
var GRID_STATUSES = { achieved: "✓ Achieved", not_yet: "✗ Not yet achieved" };
var gridState = { anchor: null };

function gridTable() {
  return document.querySelector("table[data-grid][data-decide]");
}

function gridKeyOf(cell) {
  var table = gridTable();
  if (!table || !cell || cell.tagName !== "TD") {
    return "";
  }
  var head = table.tHead.rows[0].cells[cell.cellIndex];
  return (head && head.getAttribute("data-k")) || "";
}

function gridCodeOf(cell) {
  var table = gridTable();
  var head = table.tHead.rows[0].cells[cell.cellIndex];
  return head ? head.textContent.trim() : "";
}

function gridItemCell(element) {
  var cell = element && element.closest ? element.closest("td") : null;
  return cell && gridTable() && gridTable().contains(cell) && gridKeyOf(cell) ? cell : null;
}

function gridShown(cell) {
  return cell.getClientRects().length > 0;
}

function gridActive() {
  var table = gridTable();
  return table ? table.querySelector("td[tabindex='0']") : null;
}

function gridFocus(cell) {
  var previous = gridActive();
  if (previous && previous !== cell) {
    previous.removeAttribute("tabindex");
  }
  cell.setAttribute("tabindex", "0");
  cell.focus();
}

// The next shown item cell from `cell`, `rows` down and `cols` across (skipping folded
// outcomes and summary columns); the cell itself at an edge.
function gridStep(cell, rows, cols) {
  var table = gridTable();
  var body = table.tBodies[0];
  var rowIndex = cell.parentElement.sectionRowIndex;
  var colIndex = cell.cellIndex;
  if (rows) {
    var target = body.rows[rowIndex + rows];
    var next = target ? target.cells[colIndex] : null;
    return next && gridKeyOf(next) ? next : cell;
  }
  var row = body.rows[rowIndex];
  for (var i = colIndex + cols; i >= 0 && i < row.cells.length; i += cols) {
    if (gridKeyOf(row.cells[i]) && gridShown(row.cells[i])) {
      return row.cells[i];
    }
  }
  return cell;
}

function gridSelected() {
  var table = gridTable();
  return table ? Array.prototype.slice.call(table.querySelectorAll("td.sel")) : [];
}

function gridShowCount() {
  var count = gridSelected().length;
  var label = document.getElementById("bulk-count");
  if (label) {
    label.textContent =
      count === 0 ? "No cells selected." : count + (count === 1 ? " cell" : " cells") + " selected.";
  }
  document.querySelectorAll("[data-bulk], [data-bulk-clear]").forEach(function (button) {
    button.disabled = count === 0;
  });
}

function gridClearSelection() {
  gridSelected().forEach(function (cell) {
    cell.classList.remove("sel");
    cell.removeAttribute("aria-selected");
  });
  gridShowCount();
}

function gridSelect(cells) {
  gridClearSelection();
  cells.forEach(function (cell) {
    cell.classList.add("sel");
    cell.setAttribute("aria-selected", "true");
  });
  gridShowCount();
}

// Every shown item cell in the rectangle between the anchor and `cell`.
function gridSelectBlock(cell) {
  var anchor = gridState.anchor && gridTable().contains(gridState.anchor) ? gridState.anchor : cell;
  gridState.anchor = anchor;
  var body = gridTable().tBodies[0];
  var r1 = Math.min(anchor.parentElement.sectionRowIndex, cell.parentElement.sectionRowIndex);
  var r2 = Math.max(anchor.parentElement.sectionRowIndex, cell.parentElement.sectionRowIndex);
  var c1 = Math.min(anchor.cellIndex, cell.cellIndex);
  var c2 = Math.max(anchor.cellIndex, cell.cellIndex);
  var cells = [];
  for (var r = r1; r <= r2; r++) {
    for (var c = c1; c <= c2; c++) {
      var each = body.rows[r].cells[c];
      if (each && gridKeyOf(each) && gridShown(each)) {
        cells.push(each);
      }
    }
  }
  gridSelect(cells);
}

function gridRowUrl(template, cell) {
  var row = cell.parentElement;
  return template.replace("{l}", row.getAttribute("data-l")).replace("{e}", row.getAttribute("data-e"));
}

function gridCsrf() {
  var field = document.querySelector("#bulk-form input[name=csrfmiddlewaretoken]");
  return field ? field.value : "";
}

function gridSay(text) {
  var status = document.getElementById("grid-status");
  if (status) {
    status.textContent = text;
  }
}

// A Unit 6 row's outcome summary ("7/12") after one of its topics changed.
function gridRecount(row, cell) {
  var outcome = (cell.className.match(/\bo(\d+)\b/) || [])[1];
  if (!outcome) {
    return;
  }
  var summary = row.querySelector("td[data-lo='" + outcome + "']");
  if (summary) {
    var all = row.querySelectorAll("td.o" + outcome);
    var secure = row.querySelectorAll("td.o" + outcome + ".g-achieved");
    summary.textContent = secure.length + "/" + all.length;
  }
}

// A save nobody answered with a cell (signed out, a server error, no network): the cell keeps
// the stored value and says why, in the cell and the status line.
function gridSaveFailed(cell, why) {
  var note = cell.querySelector(".cell-message");
  if (!note) {
    note = document.createElement("span");
    note.className = "cell-message";
    note.id = "msg-" + cell.parentElement.getAttribute("data-e") + "-" + cell.cellIndex;
    cell.appendChild(note);
    cell.setAttribute("aria-describedby", note.id);
  }
  note.textContent = why;
  cell.classList.add("cell-refused");
  gridSay(why);
}

// Save one cell through the decide route. A refused save (409: someone else changed it
// first; 400: it cannot be saved; 403: not allowed) comes back as the cell as stored and
// why; the cell is replaced by it, so it never shows a value that was not saved.
function gridSave(cell, status) {
  var table = gridTable();
  var data = new FormData();
  data.append("item", gridKeyOf(cell));
  data.append("revision", cell.getAttribute("data-v") || "0");
  data.append("status", status);
  data.append("from", "grid");
  var row = cell.parentElement;
  var hadFocus = document.activeElement === cell;
  cell.setAttribute("aria-busy", "true");
  fetch(gridRowUrl(table.getAttribute("data-decide"), cell), {
    method: "POST",
    body: data,
    credentials: "same-origin",
    headers: { "X-CSRFToken": gridCsrf(), "HX-Request": "true" },
  })
    .then(function (response) {
      return response.text().then(function (text) {
        return { code: response.status, text: text };
      });
    })
    .then(function (answer) {
      cell.removeAttribute("aria-busy");
      var answered = answer.text.indexOf("data-grid-cell") !== -1;
      if (!answered || [200, 400, 403, 409].indexOf(answer.code) === -1) {
        gridSaveFailed(
          cell,
          answer.code === 200
            ? "Not saved: you may have been signed out. The cell shows the stored decision. Reload the page, then try again."
            : "Not saved (error " + answer.code + "): the cell shows the stored decision. Reload the page, then try again."
        );
        return;
      }
      var doc = new DOMParser().parseFromString(answer.text, "text/html");
      var fresh = doc.querySelector("td[data-grid-cell]");
      if (cell.classList.contains("e")) {
        fresh.classList.add("e");
      }
      // Lateness belongs to the hand-in, not the decision: the marker stays.
      var late = cell.querySelector(".gl");
      if (late) {
        fresh.insertBefore(late.cloneNode(true), fresh.querySelector(".cell-message"));
      }
      fresh.setAttribute("tabindex", cell.getAttribute("tabindex") || "-1");
      if (!cell.hasAttribute("tabindex")) {
        fresh.removeAttribute("tabindex");
      }
      cell.replaceWith(fresh);
      ["grade-", "points-"].forEach(function (prefix) {
        var id = prefix + row.getAttribute("data-e");
        var mine = document.getElementById(id);
        var theirs = doc.getElementById(id);
        if (mine && theirs) {
          mine.replaceWith(theirs);
        }
      });
      var said = doc.getElementById("grid-status");
      gridSay(said ? said.textContent : "");
      gridRecount(row, fresh);
      if (hadFocus) {
        gridFocus(fresh);
      }
    })
    .catch(function () {
      cell.removeAttribute("aria-busy");
      gridSaveFailed(cell, "Not saved: the server could not be reached. The cell shows the stored decision.");
    });
}

// One confirmation for many cells, warning about "achieved" where nothing was handed in.
function gridAskBulk(status) {
  var cells = gridSelected();
  var dialog = document.getElementById("bulk-dialog");
  if (!cells.length || !dialog) {
    return;
  }
  var holder = document.getElementById("bulk-cells");
  holder.textContent = "";
  var bare = [];
  cells.forEach(function (cell) {
    var input = document.createElement("input");
    input.type = "hidden";
    input.name = "cells";
    input.value =
      cell.parentElement.getAttribute("data-e") + ":" + gridKeyOf(cell) + ":" + (cell.getAttribute("data-v") || "0");
    holder.appendChild(input);
    if (!cell.classList.contains("e")) {
      var name = cell.parentElement.querySelector("th").textContent.trim();
      bare.push(name + " " + gridCodeOf(cell));
    }
  });
  document.getElementById("bulk-status").value = status;
  var many = cells.length === 1 ? "1 cell" : cells.length + " cells";
  document.getElementById("bulk-question").textContent = "Set " + many + " to " + GRID_STATUSES[status] + "?";
  document.getElementById("bulk-confirm").textContent = "Set " + many + " to " + GRID_STATUSES[status];
  var warning = document.getElementById("bulk-warning");
  if (status === "achieved" && bare.length) {
    var listed = bare.slice(0, 8).join(", ") + (bare.length > 8 ? " and " + (bare.length - 8) + " more" : "");
    warning.textContent =
      "⚠ " + (bare.length === 1 ? "1 cell has" : bare.length + " cells have") +
      " no evidence handed in: " + listed + ". Mark them achieved only if you saw the work another way (observation, witness).";
    warning.hidden = false;
  } else {
    warning.hidden = true;
  }
  dialog.showModal();
}

function gridSendBulk(form) {
  var dialog = document.getElementById("bulk-dialog");
  var region = document.getElementById("grid-region");
  var button = document.getElementById("bulk-confirm");
  button.disabled = true;
  fetch(form.action, {
    method: "POST",
    body: new FormData(form),
    credentials: "same-origin",
    headers: { "HX-Request": "true" },
  })
    .then(function (response) {
      return response.text().then(function (text) {
        return { code: response.status, text: text };
      });
    })
    .then(function (answer) {
      button.disabled = false;
      dialog.close();
      if (answer.text.indexOf('id="grid-region"') === -1) {
        gridSay("Nothing was saved (error " + answer.code + "). Reload the page, then try again.");
        return;
      }
      var doc = new DOMParser().parseFromString(answer.text, "text/html");
      region.replaceWith(doc.getElementById("grid-region"));
      gridState.anchor = null;
      gridShowCount();
      gridStart();
      var result = document.getElementById("bulk-result");
      if (result) {
        gridSay(result.querySelector("p") ? result.querySelector("p").textContent : result.textContent);
        result.focus();
      }
    })
    .catch(function () {
      button.disabled = false;
      dialog.close();
      gridSay("Nothing was saved: the server could not be reached.");
    });
}

// The first shown cell takes the grid's one tab stop.
function gridStart() {
  var table = gridTable();
  if (!table || gridActive()) {
    return;
  }
  var first = table.tBodies[0].rows[0];
  var cell = first ? gridStep(first.cells[0], 0, 1) : null;
  if (cell && gridKeyOf(cell)) {
    cell.setAttribute("tabindex", "0");
  }
}

document.addEventListener("DOMContentLoaded", gridStart);

// A criterion's column button keeps the focus after selecting its column; the keyboard help
// says A or N then sets the column, and Esc clears it, as from a cell.
function gridColumnKey(event) {
  var column = event.target.closest ? event.target.closest("button.g-col") : null;
  if (!column || !gridTable() || !gridTable().contains(column)) {
    return;
  }
  var key = event.key.toLowerCase();
  if ((key === "a" || key === "n") && gridSelected().length) {
    event.preventDefault();
    gridAskBulk(key === "a" ? "achieved" : "not_yet");
  } else if (event.key === "Escape") {
    gridClearSelection();
  }
}

document.addEventListener("keydown", function (event) {
  var cell = gridItemCell(event.target);
  if (event.altKey || event.ctrlKey || event.metaKey) {
    return;
  }
  if (!cell) {
    gridColumnKey(event);
    return;
  }
  var moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
  var key = event.key;
  if (moves[key]) {
    event.preventDefault();
    var next = gridStep(cell, moves[key][0], moves[key][1]);
    if (event.shiftKey) {
      if (!gridState.anchor || !gridSelected().length) {
        gridState.anchor = cell;
      }
      gridSelectBlock(next);
    } else {
      gridClearSelection();
      gridState.anchor = next;
    }
    gridFocus(next);
  } else if (key === "a" || key === "A" || key === "n" || key === "N") {
    event.preventDefault();
    var status = key.toLowerCase() === "a" ? "achieved" : "not_yet";
    if (gridSelected().length > 1) {
      gridAskBulk(status);
    } else {
      gridSave(cell, status);
    }
  } else if (key === "Enter") {
    event.preventDefault();
    window.location.href = gridRowUrl(gridTable().getAttribute("data-mark"), cell) + "#item-" + gridCodeOf(cell);
  } else if (key === "Escape") {
    gridClearSelection();
  }
});

document.addEventListener("click", function (event) {
  var table = gridTable();
  if (!table) {
    return;
  }
  var fold = event.target.closest("[data-fold]");
  if (fold && table.contains(fold)) {
    var open = fold.getAttribute("aria-expanded") === "true";
    fold.setAttribute("aria-expanded", open ? "false" : "true");
    table.classList.toggle("fold-" + fold.getAttribute("data-fold"), open);
    return;
  }
  var column = event.target.closest("button.g-col");
  if (column && table.contains(column)) {
    var index = column.closest("th").cellIndex;
    var cells = [];
    Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
      if (row.cells[index] && gridKeyOf(row.cells[index])) {
        cells.push(row.cells[index]);
      }
    });
    gridSelect(cells);
    if (cells.length) {
      gridState.anchor = cells[0];
      cells[0].setAttribute("tabindex", "0");
      var active = gridActive();
      if (active && active !== cells[0]) {
        active.removeAttribute("tabindex");
      }
    }
    gridSay(gridCodeOf(cells[0] || column.closest("th")) + " selected for every learner shown.");
    return;
  }
  var bulk = event.target.closest("[data-bulk]");
  if (bulk) {
    gridAskBulk(bulk.getAttribute("data-bulk"));
    return;
  }
  if (event.target.closest("[data-bulk-clear]")) {
    gridClearSelection();
    return;
  }
  if (event.target.closest("[data-bulk-cancel]")) {
    document.getElementById("bulk-dialog").close();
    return;
  }
  var cell = gridItemCell(event.target);
  if (cell) {
    if (event.shiftKey) {
      gridSelectBlock(cell);
    } else {
      gridClearSelection();
      gridState.anchor = cell;
    }
    gridFocus(cell);
  }
});

document.addEventListener("submit", function (event) {
  if (event.target.id === "bulk-form" && window.fetch) {
    event.preventDefault();
    gridSendBulk(event.target);
  }
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

// The upload form's topics folded by learning outcome (evidence/_item_groups.html): each
// section's summary says how many of its boxes are ticked, kept right as boxes change.
document.addEventListener("change", function (event) {
  var group = event.target.closest ? event.target.closest("details.item-group") : null;
  var count = group ? group.querySelector("[data-ticked]") : null;
  if (!count || event.target.type !== "checkbox") {
    return;
  }
  var ticked = group.querySelectorAll("input[type=checkbox]:checked").length;
  count.textContent = ticked ? " · " + ticked + " ticked" : "";
});
