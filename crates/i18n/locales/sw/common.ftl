# Fremu ya tovuti, na jinsi thamani zinavyoandikwa.

site-tagline = Tovuti na uhifadhi wa tovuti kwa biashara za Afrika Mashariki
site-footer = wetech · Dar es Salaam · Asante kwa kutuchagua.
language-switch = Lugha
site-description = wetech hutengeneza na kuhifadhi tovuti za biashara za Afrika Mashariki: chagua huduma, tuma maelezo yako, na ulipe kwa kadi au pesa za simu.

## Tarehe na saa (saa za Afrika Mashariki); $month ni mojawapo ya month-1 … month-12.
date = { $day } { $month } { $year }
datetime = { $day } { $month } { $year }, saa { $time } EAT
month-1 = Januari
month-2 = Februari
month-3 = Machi
month-4 = Aprili
month-5 = Mei
month-6 = Juni
month-7 = Julai
month-8 = Agosti
month-9 = Septemba
month-10 = Oktoba
month-11 = Novemba
month-12 = Desemba

## Alama za shilingi za Afrika Mashariki; sarafu nyingine huandikwa kwa msimbo wake wa ISO.
currency-TZS = TSh
currency-KES = KSh
currency-UGX = USh

## Hali ya ankara, na ya jaribio la malipo.
status-unpaid = Haijalipwa
status-pending = Malipo yanaendelea
status-paid = Imelipwa
status-reversed = Imerejeshwa
status-void = Imefutwa
status-refunded = Imerejeshewa pesa
attempt-initiated = Inaanzishwa
attempt-pending = Inasubiri idhini
attempt-completed = Imelipwa
attempt-failed = Imeshindwa
attempt-expired = Haikukamilika
attempt-reversed = Imerejeshwa
attempt-review = Inakaguliwa
