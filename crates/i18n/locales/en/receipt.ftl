# The receipt PDF.

receipt-title = Payment receipt
receipt-invoice = Invoice number
receipt-client = Received from
receipt-service = Service
receipt-amount = Amount paid
receipt-paid-on = Date paid
receipt-gateway = Paid through
receipt-confirmation = Confirmation code
receipt-refunded = This payment was later refunded.
receipt-tin = TIN
receipt-thanks = Thank you for your payment.

# The receipt's page answers and the invoice page's link to it.
invoice-receipt-link = Download the receipt (PDF)
receipt-not-paid-title = No receipt yet
receipt-not-paid = This invoice has not been paid, so it has no receipt. Its receipt is here once it is paid.
