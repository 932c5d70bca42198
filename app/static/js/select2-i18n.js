/*
 * select2 (loaded by Flask-AppBuilder) in the page's language: its own texts ("Remove all items",
 * "No results found", …) and the placeholder FAB hard-codes ("Select a State"). The texts come
 * from the JSON element #jm-select2-text, written by platform_base.html through gettext.
 *
 * Loaded in the head, after jQuery and before select2 and FAB's ab.js: this file's ready handler
 * runs first, when select2 is loaded, and sets the language before ab.js starts the boxes; the
 * boxes are then restarted (after every ready handler) with the translated placeholder.
 */
(function (window, $) {
  'use strict';
  if (!$) { return; }

  function texts() {
    var node = document.getElementById('jm-select2-text');
    return node ? JSON.parse(node.textContent) : null;
  }

  function fill(text, values) {
    $.each(values || {}, function (name, v) { text = text.split('%(' + name + ')s').join(String(v)); });
    return text;
  }

  function languageOf(T) {
    return {
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
  }

  /**
   * (Re)start one of FAB's select2 boxes with the translated placeholder. FAB's "no choice" option
   * of a related column has the value "__None": it is the placeholder ("Please choose"), and
   * clearing the box selects it again.
   */
  function restart($el, T, language) {
    if ($el.data('select2')) { $el.select2('destroy'); }
    var none = $el.find('option[value="__None"]').length > 0;
    $el.select2({placeholder: none ? {id: '__None', text: T.placeholder} : T.placeholder,
      allowClear: true, theme: 'bootstrap', language: language});
  }

  $(function () {
    var T = texts();
    if (!T || !$.fn.select2) { return; }
    var language = languageOf(T);
    $.fn.select2.defaults.set('language', language);
    window.JMSelect2 = {restart: function ($el) { restart($el, T, language); }};
    window.setTimeout(function () {
      $('.my_select2').each(function () { restart($(this), T, language); });
    }, 0);
  });
}(window, window.jQuery));
