# Error pages.

error-back = Back to the start page
error-back-invoice = Back to the invoice
error-code = Error { $status }
error-csrf-title = This form has expired
error-csrf-1 = For your safety we could not accept this form: it was not sent from this site's own page, or your browser did not keep our cookie.
error-csrf-2 = Please go back, reload the page and send the form again. Nothing was recorded.
error-not-found-title = Page not found
error-not-found = We could not find this page or invoice. Please check the link you were given.
error-rate-limited-title = Too many requests
error-rate-limited = You have sent several forms in a short time. Please wait { $seconds } seconds and try again. Nothing was recorded.
error-too-large-title = Too much text
error-too-large = The form was larger than 64 KiB. Please shorten your message and try again.
error-malformed-title = The form could not be read
error-malformed = Please go back, reload the page and send the form again.
error-conflict-title = This cannot be done now
# $detail: what the refusal itself says, in English.
error-conflict = { $detail }
error-validation-title = Please check your input
error-gateway-title = Payment service trouble
error-unauthorized-title = Not allowed
error-unauthorized = This request is not allowed.
error-internal-title = Something went wrong
error-internal = Sorry, something went wrong on our side. Please try again in a moment.
error-no-receipt-title = No receipt yet
error-no-receipt = This invoice has not been paid yet, so it has no receipt. Once it is paid, the receipt can be downloaded from the invoice page.
