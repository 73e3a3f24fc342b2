# Stakabadhi (PDF).

receipt-title = Stakabadhi ya malipo
receipt-invoice = Namba ya ankara
receipt-client = Imepokelewa kutoka kwa
receipt-service = Huduma
receipt-amount = Kiasi kilicholipwa
receipt-paid-on = Tarehe ya malipo
receipt-gateway = Imelipwa kupitia
receipt-confirmation = Namba ya uthibitisho
receipt-reversed = Malipo haya yalirejeshwa baadaye.
receipt-tin = Namba ya mlipakodi (TIN)
receipt-thanks = Asante kwa malipo yako.
