# Ukurasa wa ankara na fomu zake za malipo.

invoice-title = Ankara { $number }
invoice-service = Huduma
invoice-amount = Kiasi
invoice-status = Hali
invoice-issued = Imetolewa
invoice-paid-on = Tarehe ya malipo
invoice-paid-heading = Imelipwa — asante sana!
invoice-paid-body = Tumepokea malipo yako tarehe { $date }. Tutawasiliana nawe kuhusu hatua zinazofuata.
invoice-paid-body-undated = Tumepokea malipo yako. Tutawasiliana nawe kuhusu hatua zinazofuata.
invoice-receipt = Pakua stakabadhi (PDF)
invoice-reversed-heading = Malipo haya yamerejeshwa.
invoice-reversed-body = Tafadhali wasiliana nasi ili tulishughulikie.
invoice-pending-heading = Malipo yako yanaendelea.
invoice-pending-body = Ukurasa huu unakagua hali ya malipo kila baada ya sekunde chache; huhitaji kufanya jambo lingine hapa.
invoice-pending-azampay = Idhinisha ombi kwenye simu yako kwa kuweka PIN yako ya pesa za simu.
invoice-pending-pesapal = Ikiwa ulifunga ukurasa wa Pesapal kabla ya kulipa, unaweza kuanza upya hapa chini baada ya dakika chache.
invoice-simulator = Kiigaji cha majaribio:
    .link = fungua simu ya kuigiza ili kuidhinisha au kukataa ombi
invoice-refresh = Onyesha upya ukurasa huu
invoice-keep-link = Hifadhi anwani ya ukurasa huu: ndicho kiungo chako cha ankara hii.
invoice-refresh-stop = Acha kukagua yenyewe
invoice-refresh-stopped = Ukurasa huu haukagui tena wenyewe: tumia “Onyesha upya ukurasa huu” kuona hali ya malipo.
invoice-cancelled = Malipo yalisitishwa kwenye Pesapal. Hakuna pesa iliyotozwa. Jaribu tena au chagua njia nyingine hapa chini.
invoice-void-heading = Ankara hii ilifutwa
invoice-void-body = na haiwezi kulipwa tena. Tafadhali wasiliana nasi ikiwa unadhani ni kosa.
invoice-refunded-heading = Ankara hii ilirejeshewa pesa zote.
invoice-refunded-body = Tafadhali wasiliana nasi ikiwa una maswali.
invoice-failed = Malipo hayakufanikiwa. Hakuna pesa iliyotozwa. Jaribu tena au chagua njia nyingine.
invoice-push-sent-to = Tumetuma ombi kwa { $phone }. Litadumu kwa { $minutes ->
        [one] dakika moja
       *[other] dakika { $minutes }
    }.

pay-heading = Lipa ankara hii
pay-heading-pending = Malipo hayajafika?
pay-other-later = Ombi lisipofika kwenye simu yako, utaweza kuchagua njia nyingine hapa baada ya { $minutes ->
        [one] dakika moja
       *[other] dakika { $minutes }
    }.
pay-pesapal-heading = Kadi au pesa za simu (Pesapal)
pay-pesapal-hint = Utapelekwa kwenye ukurasa salama wa malipo wa Pesapal.
pay-pesapal-button = Lipa { $amount } kwa Pesapal
pay-azampay-heading = Ombi la malipo kwenye simu (AzamPay)
pay-phone = Namba ya simu itakayotozwa
pay-provider = Mtandao wa simu
pay-submit = Tuma ombi la malipo kwenye simu yangu
pay-unavailable = Malipo ya mtandaoni hayapatikani kwa sasa. Tafadhali wasiliana nasi ili ulipe.
pay-sent = Tumetuma ombi la malipo kwenye simu yako.
pay-sent-pin = Fungua simu yako na uweke PIN yako ya pesa za simu ili kuliidhinisha.
pay-conflict-paid = Ankara hii tayari imelipwa.
pay-conflict-reversed = Malipo ya ankara hii tayari yamerejeshwa.
pay-conflict-void = Ankara hii imefutwa na haiwezi kulipwa.
pay-conflict-refunded = Pesa za ankara hii zimerejeshwa; haiwezi kulipwa tena.
pay-conflict-under-way = Malipo ya ankara hii tayari yanaendelea; subiri yakamilike.

payments-heading = Malipo
payments-started = Ilianza
payments-method = Njia
payments-status = Hali
payments-amount = Kiasi

## Anachoambiwa mteja huduma ya malipo inapokwama.
gateway-error-1 = Huduma ya malipo haikuweza kuanzisha malipo haya. Hakuna pesa iliyokatwa.
gateway-error-2 = Tafadhali jaribu tena, au chagua njia nyingine ya kulipa.
gateway-unavailable-1 = Huduma ya malipo haipatikani kwa sasa. Hakuna pesa iliyokatwa.
gateway-unavailable-2 = Tafadhali jaribu tena baada ya dakika chache.
gateway-timeout-1 = Huduma ya malipo haikujibu kwa wakati.
gateway-timeout-2 = Ombi la malipo likifika kwenye simu yako na ukaliidhinisha, malipo yatarekodiwa hapa. Vinginevyo tafadhali jaribu tena baada ya dakika chache.
