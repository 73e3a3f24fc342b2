# Kurasa za kiigaji cha majaribio anazoziona mteja (ukurasa wa malipo, simu).

sim-note = Kiigaji cha majaribio: hakuna pesa halisi inayohamishwa.
sim-pesapal-title = Pesapal (ukurasa wa malipo wa kuigiza)
sim-pesapal-short = Pesapal (kuigiza)
sim-unknown-order = Oda haijulikani.
sim-amount = Kiasi
sim-reference = Kumbukumbu ya mfanyabiashara
sim-pay = Lipa
sim-fail = Malipo yashindwe
sim-choose-pay-fail = Chagua Lipa au Malipo yashindwe.
sim-cancel = Ghairi na urudi kwa mfanyabiashara
sim-order-completed = Oda hii imekamilika.
sim-order-failed = Oda hii imeshindwa.
sim-order-reversed = Oda hii imerejeshwa.
sim-order-pending = Oda hii inasubiri.
sim-phone-title = Simu ya AzamPay (kuigiza)
sim-push = { $merchant } anaomba { $amount } kutoka { $msisdn } ({ $provider }), kumbukumbu { $reference }
sim-approve = Idhinisha
sim-decline = Kataa
sim-choose-approve-decline = Chagua Idhinisha au Kataa.
sim-no-pushes = Bado hakuna maombi ya malipo.
sim-push-pending = Inasubiri
sim-push-success = Imeidhinishwa
sim-push-failure = Imekataliwa
