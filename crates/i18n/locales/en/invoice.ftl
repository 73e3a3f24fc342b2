# The invoice page and its pay forms.

invoice-title = Invoice { $number }
invoice-service = Service
invoice-amount = Amount
invoice-status = Status
invoice-issued = Issued
invoice-paid-on = Paid
invoice-paid-heading = Paid — asante sana!
invoice-paid-body = We received your payment on { $date }. We will be in touch about the next steps.
invoice-paid-body-undated = We received your payment. We will be in touch about the next steps.
invoice-receipt = Download the receipt (PDF)
invoice-reversed-heading = This payment was reversed.
invoice-reversed-body = Please contact us so we can sort it out.
invoice-pending-heading = Your payment is under way.
invoice-pending-body = This page checks its status every few seconds; you do not need to do anything else here.
invoice-pending-azampay = Approve the request on your phone by entering your mobile-money PIN.
invoice-pending-pesapal = If you closed the Pesapal page before paying, you can start again below after a couple of minutes.
invoice-simulator = Development simulator:
    .link = open the simulated phone to approve or decline the request
invoice-refresh = Refresh this page
invoice-keep-link = Keep this page's address: it is your link to this invoice.
invoice-refresh-stop = Stop checking by itself
invoice-refresh-stopped = This page no longer checks by itself: use “Refresh this page” to see where the payment stands.
invoice-cancelled = The payment was cancelled at Pesapal. Nothing was charged. Try again or choose another way below.
invoice-void-heading = This invoice was cancelled
invoice-void-body = and can no longer be paid. Please contact us if you think this is a mistake.
invoice-refunded-heading = This invoice was refunded in full.
invoice-refunded-body = Please contact us if you have questions.
invoice-failed = The payment did not go through. Nothing was charged. Try again or choose another way.
invoice-push-sent-to = We sent the request to { $phone }. It stays valid for { $minutes ->
        [one] one minute
       *[other] { $minutes } minutes
    }.

pay-heading = Pay this invoice
pay-heading-pending = Payment not arriving?
pay-other-later = If the request does not reach your phone, you can choose another way here in { $minutes ->
        [one] one minute
       *[other] { $minutes } minutes
    }.
pay-pesapal-heading = Card or mobile money (Pesapal)
pay-pesapal-hint = You will be taken to Pesapal's secure payment page.
pay-pesapal-button = Pay { $amount } with Pesapal
pay-azampay-heading = Mobile money push (AzamPay)
pay-phone = Mobile number to charge
pay-provider = Mobile network
pay-submit = Send payment request to my phone
pay-unavailable = Online payment is not available at the moment. Please contact us to pay.
pay-sent = We sent a payment request to your phone.
pay-sent-pin = Unlock your phone and enter your mobile-money PIN to approve it.
pay-conflict-paid = The invoice is already paid.
pay-conflict-reversed = The invoice is already reversed.
pay-conflict-void = The invoice is cancelled and cannot be paid.
pay-conflict-refunded = The invoice was refunded and cannot be paid again.
pay-conflict-under-way = A payment of this invoice is already under way; wait for it to finish.

payments-heading = Payments
payments-started = Started
payments-method = Method
payments-status = Status
payments-amount = Amount

## What the customer is told about a gateway failure.
gateway-error-1 = The payment service could not start this payment. Nothing was charged.
gateway-error-2 = Please try again, or choose the other way to pay.
gateway-unavailable-1 = The payment service cannot be reached right now. Nothing was charged.
gateway-unavailable-2 = Please try again in a few minutes.
gateway-timeout-1 = The payment service did not answer in time.
gateway-timeout-2 = If a payment request reaches your phone and you approve it, the payment will still be recorded here. Otherwise please try again in a few minutes.
