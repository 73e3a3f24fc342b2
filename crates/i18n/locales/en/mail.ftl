# The customer's e-mails (crates/mail/templates/*-customer.*); staff e-mails are English only.

mail-greeting = Dear { $name },
mail-invoice-subject = Your invoice { $number } from { $company }
mail-invoice-intro = Thank you for your interest in our { $service }. Your invoice { $number } for { $amount } is ready; you can pay it online by card or mobile money.
mail-invoice-link = View and pay invoice { $number }
mail-invoice-closing = We will be in touch soon.
mail-receipt-subject = Receipt for invoice { $number }
mail-receipt-intro = We have received your payment. Thank you!
mail-receipt-invoice = Invoice
mail-receipt-service = Service
mail-receipt-amount = Amount paid
mail-receipt-paid = Paid
mail-receipt-through = Through
mail-receipt-confirmation = Confirmation
mail-receipt-attached = Your receipt is attached to this e-mail as a PDF.
mail-receipt-link = View invoice { $number }
