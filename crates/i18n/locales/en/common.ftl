# The site's frame, and how values are written. English is the default language.

site-tagline = Websites and hosting for East African businesses
site-footer = wetech · Dar es Salaam · Thank you for choosing us.
language-switch = Language
site-description = wetech builds and hosts websites for businesses in East Africa: choose a service, send your details, and pay by card or mobile money.

## Dates and times (East Africa Time); $month is one of month-1 … month-12.
date = { $day } { $month } { $year }
datetime = { $day } { $month } { $year }, { $time } EAT
month-1 = January
month-2 = February
month-3 = March
month-4 = April
month-5 = May
month-6 = June
month-7 = July
month-8 = August
month-9 = September
month-10 = October
month-11 = November
month-12 = December

## How an amount's currency is written; a currency without a message keeps its ISO code.
currency-TZS = TZS
currency-KES = KES
currency-UGX = UGX

## The invoice's state, and a payment attempt's.
status-unpaid = Unpaid
status-pending = Payment under way
status-paid = Paid
status-reversed = Reversed
status-void = Cancelled
status-refunded = Refunded
attempt-initiated = Starting
attempt-pending = Waiting for approval
attempt-completed = Paid
attempt-failed = Failed
attempt-expired = Not completed
attempt-reversed = Reversed
attempt-review = Under review
