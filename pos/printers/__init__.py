

#: the app's extensions key for "which cash station does this person work at now" (a function of the
#: session and the person): the cash desk, a domain above printers, sets it at start-up, so the
#: printer screens know the station without printers importing the domains that print
STATION_OF = "pos.printers.station_of"
