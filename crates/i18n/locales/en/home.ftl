# The start page: the services and the lead form.

home-title = Services
home-heading = Karibu! Welcome to wetech.
home-intro = Choose a service, tell us about your business, and you will get an invoice you can pay with Pesapal or mobile money.
home-services = Our services
home-choose = Choose
home-no-services = No services are on offer at the moment. Please come back later.

lead-heading = Request a service
lead-correct = Please correct the fields marked below.
lead-name = Your name
lead-email = E-mail
lead-phone = Mobile phone
    .hint = An East African mobile number, e.g. 0754 123 456 or +255 754 123 456.
lead-company = Company
    .hint = (optional)
lead-service = Service
    .placeholder = Choose a service…
lead-message = Message
    .hint = (optional, up to 2000 characters)
lead-submit = Send request and get my invoice

## A field's message. $detail is the check's own English words, which English shows as they are.
field-required = { $detail }
field-unknown = { $detail }
field-invalid-name = { $detail }
field-invalid-email = { $detail }
field-invalid-phone = { $detail }
field-invalid-company = { $detail }
field-invalid-service = { $detail }
field-invalid-message = { $detail }
field-invalid-gateway = { $detail }
field-invalid-pay-phone = { $detail }
field-invalid-provider = { $detail }
field-invalid-payment = { $detail }
field-invalid-other = { $detail }
