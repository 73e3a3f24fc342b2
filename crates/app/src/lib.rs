//! wetech-app: the use cases of the lead-to-payment service and its settings.
