# Stakabadhi (PDF).

receipt-title = Stakabadhi ya malipo
receipt-invoice = Namba ya ankara
receipt-client = Imepokelewa kutoka kwa
receipt-service = Huduma
receipt-amount = Kiasi kilicholipwa
receipt-paid-on = Tarehe ya malipo
receipt-gateway = Imelipwa kupitia
receipt-confirmation = Namba ya uthibitisho
receipt-refunded = Malipo haya yalirudishwa baadaye.
receipt-tin = Namba ya mlipakodi (TIN)
receipt-thanks = Asante kwa malipo yako.

# Majibu ya ukurasa wa stakabadhi na kiungo cha ukurasa wa ankara.
invoice-receipt-link = Pakua stakabadhi (PDF)
receipt-not-paid-title = Bado hakuna stakabadhi
receipt-not-paid = Ankara hii haijalipwa, kwa hiyo haina stakabadhi. Stakabadhi yake itapatikana hapa ikishalipwa.
