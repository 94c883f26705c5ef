/* User administration: a seat form offers only the roles that fit the chosen unit. The server checks it anyway. */
(function () {
  "use strict";
  document.querySelectorAll("select[data-fitting-roles]").forEach(function (unit) {
    var role = unit.form && unit.form.querySelector('select[name="role"]');
    if (!role) { return; }
    var fit = function () {
      var chosen = unit.options[unit.selectedIndex];
      var allowed = chosen && chosen.value ? (chosen.getAttribute("data-roles") || "").split(" ") : null;
      Array.prototype.forEach.call(role.options, function (option) {
        var hide = allowed !== null && option.value !== "" && allowed.indexOf(option.value) < 0;
        option.hidden = hide;
        option.disabled = hide;
      });
      if (role.selectedOptions.length && role.selectedOptions[0].disabled) { role.value = ""; }
    };
    unit.addEventListener("change", fit);
    fit();
  });
})();
