/*
 * select2 (loaded by Flask-AppBuilder) in the page's language: its own texts ("Remove all items",
 * "No results found", …) and the placeholder FAB hard-codes ("Select a State"). The texts come
 * from the JSON element #jm-select2-text, written by platform_base.html through gettext.
 */
(function (window, $) {
  'use strict';
  var node = document.getElementById('jm-select2-text');
  if (!$ || !$.fn.select2 || !node) { return; }
  var T = JSON.parse(node.textContent);

  function fill(text, values) {
    $.each(values || {}, function (name, v) { text = text.split('%(' + name + ')s').join(String(v)); });
    return text;
  }

  var language = {
    errorLoading: function () { return T.error_loading; },
    inputTooLong: function (args) { return fill(T.input_too_long, {n: args.input.length - args.maximum}); },
    inputTooShort: function (args) { return fill(T.input_too_short, {n: args.minimum - args.input.length}); },
    loadingMore: function () { return T.loading_more; },
    maximumSelected: function (args) { return fill(T.maximum_selected, {n: args.maximum}); },
    noResults: function () { return T.no_results; },
    searching: function () { return T.searching; },
    removeAllItems: function () { return T.remove_all; },
    removeItem: function () { return T.remove_item; },
    search: function () { return T.search; }
  };
  $.fn.select2.defaults.set('language', language);

  /**
   * (Re)start one of FAB's select2 boxes with the translated placeholder. FAB's "no choice" option
   * of a related column has the value "__None" and no text, which select2 showed as "__None":
   * it becomes the placeholder ("Please choose"), and clearing the box selects it again.
   */
  function restart($el) {
    if ($el.data('select2')) { $el.select2('destroy'); }
    var none = $el.find('option[value="__None"]').length > 0;
    $el.select2({placeholder: none ? {id: '__None', text: T.placeholder} : T.placeholder,
      allowClear: true, theme: 'bootstrap', language: language});
  }

  window.JMSelect2 = {restart: restart};

  // FAB's ab.js starts its select2 boxes on DOM ready with an English placeholder; this handler
  // is registered after it, so it runs next and restarts them.
  $(function () {
    $('.my_select2').each(function () { restart($(this)); });
  });
}(window, window.jQuery));
