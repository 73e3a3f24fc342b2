# Barua pepe za mteja (crates/mail/templates/*-customer.*); za wafanyakazi ni Kiingereza tu.

mail-greeting = Mpendwa { $name },
mail-invoice-subject = Ankara yako { $number } kutoka { $company }
mail-invoice-intro = Asante kwa kupendezwa na huduma yetu ya { $service }. Ankara yako { $number } ya { $amount } iko tayari; unaweza kuilipa mtandaoni kwa kadi au kwa pesa za simu.
mail-invoice-link = Tazama na ulipe ankara { $number }
mail-invoice-closing = Tutawasiliana nawe hivi karibuni.
mail-receipt-subject = Stakabadhi ya ankara { $number }
mail-receipt-intro = Tumepokea malipo yako. Asante!
mail-receipt-invoice = Ankara
mail-receipt-service = Huduma
mail-receipt-amount = Kiasi kilicholipwa
mail-receipt-paid = Tarehe ya malipo
mail-receipt-through = Imelipwa kupitia
mail-receipt-confirmation = Namba ya uthibitisho
mail-receipt-attached = Stakabadhi yako imeambatishwa kwenye barua pepe hii kama PDF.
mail-receipt-link = Tazama ankara { $number }
