# The development simulator's pages that a customer sees (the hosted payment page, the phone).

sim-note = Development simulator: no real money moves.
sim-pesapal-title = Pesapal (simulated payment page)
sim-pesapal-short = Pesapal (simulated)
sim-unknown-order = Unknown order.
sim-amount = Amount
sim-reference = Merchant reference
sim-pay = Pay
sim-fail = Fail
sim-choose-pay-fail = Choose Pay or Fail.
sim-cancel = Cancel and return to the merchant
sim-order-completed = This order is completed.
sim-order-failed = This order has failed.
sim-order-reversed = This order is reversed.
sim-order-pending = This order is pending.
sim-phone-title = AzamPay phone (simulated)
sim-push = { $merchant } asks { $amount } from { $msisdn } ({ $provider }), reference { $reference }
sim-approve = Approve
sim-decline = Decline
sim-choose-approve-decline = Choose Approve or Decline.
sim-no-pushes = No push requests yet.
sim-push-pending = Waiting
sim-push-success = Approved
sim-push-failure = Declined
