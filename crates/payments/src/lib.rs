//! wetech-payments: Pesapal API 3.0 and AzamPay clients behind one gateway trait.
