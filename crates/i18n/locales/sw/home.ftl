# Ukurasa wa mwanzo: huduma na fomu ya ombi.

home-title = Huduma
home-heading = Karibu wetech!
home-intro = Chagua huduma, tueleze kuhusu biashara yako, nawe utapata ankara unayoweza kulipa kwa Pesapal au kwa pesa za simu.
home-services = Huduma zetu
home-choose = Chagua
home-no-services = Hakuna huduma zinazotolewa kwa sasa. Tafadhali rudi baadaye.

lead-heading = Omba huduma
lead-correct = Tafadhali sahihisha sehemu zilizowekwa alama hapa chini.
lead-name = Jina lako
lead-email = Barua pepe
lead-phone = Namba ya simu
    .hint = Namba ya simu ya mkononi ya Afrika Mashariki, kwa mfano 0754 123 456 au +255 754 123 456.
lead-company = Kampuni
    .hint = (si lazima)
lead-service = Huduma
    .placeholder = Chagua huduma…
lead-message = Ujumbe
    .hint = (si lazima, hadi herufi 2000)
lead-submit = Tuma ombi na upate ankara yangu

## Ujumbe wa sehemu ya fomu. $detail ni maneno ya Kiingereza ya ukaguzi, hayaonyeshwi hapa.
field-required = Sehemu hii inahitajika.
field-unknown = Sehemu isiyojulikana.
field-invalid-name = Andika jina lako: herufi 1 hadi 120, angalau herufi moja ya alfabeti, bila kuvunja mstari.
field-invalid-email = Andika barua pepe sahihi, kwa mfano jina@mfano.co.tz.
field-invalid-phone = Andika namba ya simu ya mkononi ya Afrika Mashariki, kwa mfano 0754 123 456 au +255 754 123 456.
field-invalid-company = Jina la kampuni lisizidi herufi 200, bila kuvunja mstari.
field-invalid-service = Chagua mojawapo ya huduma zilizoorodheshwa.
field-invalid-message = Ujumbe usizidi herufi 2000.
field-invalid-gateway = Chagua njia ya malipo iliyopo: Pesapal au AzamPay.
field-invalid-pay-phone = Andika namba ya simu ya mkononi ya Tanzania, kwa mfano 0754 123 456, kwa malipo ya AzamPay.
field-invalid-provider = Chagua mtandao wa simu kutoka kwenye orodha.
field-invalid-payment = Malipo haya hayawezi kuanzishwa kwa taarifa hizi. Tafadhali zihakiki kisha ujaribu tena.
field-invalid-other = Thamani hii si sahihi.
