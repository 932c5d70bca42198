/*
 * Search-as-you-type boxes (app/views/base.py AjaxSelectWidget): a <select class="jm-ajax-select"
 * data-url="…"> holds only its chosen option; select2 asks data-url for the options matching what
 * the user types (?q=text&page=n → {results: [{id, text}], pagination: {more}}), a page at a time.
 *
 * FAB's search form adds filter rows after the page has loaded (cloning the box's HTML), so boxes
 * are started whenever one appears in the document, not only at load.
 *
 * The business forms use the same boxes (templates/_ajax_select.html): data-placeholder names the
 * empty box; a box inside a dialog opens its list in the dialog (Bootstrap's modal keeps the focus
 * inside, so a list outside it could not be typed into); JMAjaxSelect.set(el, id, text) chooses a
 * value a script knows (a row edited in a dialog), its option added when the box lacks it.
 */
(function (window, $) {
  'use strict';
  if (!$) { return; }

  function placeholder() {
    var node = document.getElementById('jm-select2-text');
    return node ? JSON.parse(node.textContent).placeholder : '';
  }

  function start(el) {
    var $el = $(el);
    if ($el.data('select2') || !$.fn.select2) { return; }
    var $modal = $el.closest('.modal');
    $el.select2({
      theme: 'bootstrap', allowClear: true, width: '100%',
      dropdownParent: $modal.length ? $modal : $(document.body),
      placeholder: {id: '', text: $el.data('placeholder') || placeholder()},
      ajax: {
        url: $el.data('url'), dataType: 'json', delay: 250, cache: true,
        data: function (params) { return {q: params.term || '', page: params.page || 1}; }
      }
    });
  }

  function startAll(root) {
    $(root).find('select.jm-ajax-select').addBack('select.jm-ajax-select').each(function () { start(this); });
  }

  function set(el, id, text) {
    var $el = $(el), value = id === null || id === undefined ? '' : String(id);
    if (value && !$el.find('option').filter(function () { return this.value === value; }).length) {
      $el.append(new window.Option(text || value, value, false, false));
    }
    $el.val(value).trigger('change');
  }

  window.JMAjaxSelect = {set: set};

  $(function () {
    startAll(document);
    if (!window.MutationObserver) { return; }
    new window.MutationObserver(function (changes) {
      changes.forEach(function (change) {
        Array.prototype.forEach.call(change.addedNodes, function (node) {
          if (node.nodeType === 1) { startAll(node); }
        });
      });
    }).observe(document.body, {childList: true, subtree: true});
  });
}(window, window.jQuery));
