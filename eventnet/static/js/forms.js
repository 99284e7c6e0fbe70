/* After a form comes back with errors, put the focus on the first wrong field (or on the
   form's message when no field is to blame), so keyboard and screen-reader users start
   where the problem is. */
(function () {
  var target = document.querySelector("[aria-invalid=true]") ||
    document.querySelector(".error.banner");
  if (target) { target.focus(); }
})();
