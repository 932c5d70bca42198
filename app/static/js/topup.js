/* 补交 on the order page (templates/orders/_topup.html): create the top-up notice and open its
 * print. The print window is opened on the click itself (a window opened after the answer would
 * be blocked as a pop-up) and pointed at the notice once it exists; on a refusal it is closed. */
(function (window, $) {
  'use strict';

  var $panel = $('#jm-topup');
  if (!$panel.length) { return; }
  var esc = JMForm.esc;

  $('#jm-topup-print').on('click', function () {
    var $button = $(this).prop('disabled', true);
    var printWindow = window.open('', '_blank');
    JMForm.postJSON($panel.data('url'), {}).done(function (answer) {
      var numbers = $.map(answer.notices, function (n) { return n.number; }).join(', ');
      if (printWindow) { printWindow.location = answer.print_url + '?format=html'; }
      var html = '<p><b>' + esc($panel.data('msg-created').replace('%(numbers)s', numbers)) + '</b> ' +
        '<a class="btn btn-success btn-sm" id="jm-topup-pdf" target="_blank" href="' + esc(answer.print_url) + '">' +
        '<i class="fa fa-file-pdf"></i> ' + esc($panel.data('msg-pdf')) + '</a></p>';
      if (answer.skipped.length) {
        html += '<p class="text-warning">' + esc($panel.data('msg-left-off')) + '</p><ul class="text-warning">' +
          $.map(answer.skipped, function (s) { return '<li>' + esc(s.location) + ': ' + esc(s.reason) + '</li>'; }).join('') +
          '</ul>';
      }
      JMForm.showMessage('#jm-topup-result', 'success', html);
    }).fail(function (xhr) {
      if (printWindow) { printWindow.close(); }
      $button.prop('disabled', false);
      JMForm.showError('#jm-topup-result', xhr);
    });
  });
}(window, jQuery));
