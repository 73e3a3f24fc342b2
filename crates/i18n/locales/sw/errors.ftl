# Kurasa za hitilafu.

error-back = Rudi ukurasa wa mwanzo
error-back-invoice = Rudi kwenye ankara
error-code = Hitilafu { $status }
error-csrf-title = Fomu hii imepitwa na wakati
error-csrf-1 = Kwa usalama wako hatukuweza kupokea fomu hii: haikutumwa kutoka ukurasa wa tovuti hii, au kivinjari chako hakikuhifadhi kidakuzi chetu.
error-csrf-2 = Tafadhali rudi nyuma, pakia upya ukurasa kisha utume fomu tena. Hakuna kilichorekodiwa.
error-not-found-title = Ukurasa haupatikani
error-not-found = Hatukupata ukurasa huu wala ankara hii. Tafadhali hakiki kiungo ulichopewa.
error-rate-limited-title = Maombi mengi mno
error-rate-limited = Umetuma fomu kadhaa kwa muda mfupi. Tafadhali subiri sekunde { $seconds } kisha ujaribu tena. Hakuna kilichorekodiwa.
error-too-large-title = Maandishi ni mengi mno
error-too-large = Fomu ilizidi KiB 64. Tafadhali fupisha ujumbe wako kisha ujaribu tena.
error-malformed-title = Fomu haikuweza kusomwa
error-malformed = Tafadhali rudi nyuma, pakia upya ukurasa kisha utume fomu tena.
error-conflict-title = Hili haliwezi kufanyika sasa
# $detail ni maneno ya Kiingereza ya ukataaji; hayaonyeshwi hapa.
error-conflict = Ombi hili haliendani na hali ya sasa ya ankara. Tafadhali fungua ankara uone hali yake.
error-validation-title = Tafadhali hakiki ulichoandika
error-gateway-title = Tatizo la huduma ya malipo
error-unauthorized-title = Hairuhusiwi
error-unauthorized = Ombi hili haliruhusiwi.
error-internal-title = Hitilafu imetokea
error-internal = Samahani, hitilafu imetokea upande wetu. Tafadhali jaribu tena baada ya muda mfupi.
error-no-receipt-title = Bado hakuna stakabadhi
error-no-receipt = Ankara hii bado haijalipwa, kwa hiyo haina stakabadhi. Ikishalipwa, stakabadhi inaweza kupakuliwa kutoka ukurasa wa ankara.
