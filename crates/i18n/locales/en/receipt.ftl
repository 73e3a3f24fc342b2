# The receipt PDF.

receipt-title = Payment receipt
receipt-invoice = Invoice number
receipt-client = Received from
receipt-service = Service
receipt-amount = Amount paid
receipt-paid-on = Date paid
receipt-gateway = Paid through
receipt-confirmation = Confirmation code
receipt-reversed = This payment was later reversed.
receipt-tin = TIN
receipt-thanks = Thank you for your payment.
