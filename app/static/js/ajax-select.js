/*
 * Search-as-you-type boxes (app/views/base.py AjaxSelectWidget): a <select class="jm-ajax-select"
 * data-url="…"> holds only its chosen option; select2 asks data-url for the options matching what
 * the user types (?q=text&page=n → {results: [{id, text}], pagination: {more}}), a page at a time.
 *
 * FAB's search form adds filter rows after the page has loaded (cloning the box's HTML), so boxes
 * are started whenever one appears in the document, not only at load.
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
    $el.select2({
      theme: 'bootstrap', allowClear: true, width: '100%',
      placeholder: {id: '', text: placeholder()},
      ajax: {
        url: $el.data('url'), dataType: 'json', delay: 250, cache: true,
        data: function (params) { return {q: params.term || '', page: params.page || 1}; }
      }
    });
  }

  function startAll(root) {
    $(root).find('select.jm-ajax-select').addBack('select.jm-ajax-select').each(function () { start(this); });
  }

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
