// irdesk: progressive conveniences only; every page works without this file.
'use strict';
document.addEventListener('DOMContentLoaded', function () {
  // Ask before irreversible actions: <button data-confirm="...">.
  document.querySelectorAll('[data-confirm]').forEach(function (el) {
    el.addEventListener('click', function (ev) {
      if (!window.confirm(el.getAttribute('data-confirm'))) ev.preventDefault();
    });
  });
  // Submit a form when its select changes: <select data-autosubmit>.
  document.querySelectorAll('select[data-autosubmit]').forEach(function (el) {
    el.addEventListener('change', function () { el.form.submit(); });
  });
});
