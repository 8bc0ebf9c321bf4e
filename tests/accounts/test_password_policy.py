"""Passwords follow the NCSC's advice: long, not common, no composition rules, Argon2."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import check_password, identify_hasher, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from pathways.accounts.models import User


def _errors(password: str, user=None) -> list[str]:
    try:
        validate_password(password, user=user)
    except ValidationError as error:
        return list(error.messages)
    return []


def test_eleven_characters_are_too_few():
    errors = _errors("zebra-plum7")
    assert errors == ["This password is too short. It must contain at least 12 characters."]


def test_twelve_characters_of_anything_are_enough():
    assert _errors("zebra-plum7x") == []


@pytest.mark.parametrize(
    "password",
    [
        "correct horse battery staple",  # lower case and spaces only
        "ALLCAPSNODIGITSATALL",
        "1739462850173946",  # digits only, and not a common one
        "tomato parcel lantern",
    ],
)
def test_no_composition_rules(password):
    """No 'one capital, one digit, one symbol': length and the deny-list do the work."""
    assert _errors(password) == []


@pytest.mark.parametrize(
    "password", ["password1234", "qwerty123456", "Password1234", "1q2w3e4r5t6y"]
)
def test_common_passwords_are_refused_even_when_long_enough(password):
    assert "This password is too common." in _errors(password)


@pytest.mark.django_db
def test_a_password_like_the_username_is_refused():
    user = User(username="jordan.fairweather", email="jordan.fairweather@example.test")
    assert "The password is too similar to the username." in _errors(
        "jordan.fairweather", user=user
    )


def test_minimum_length_comes_from_settings(settings):
    settings.AUTH_PASSWORD_VALIDATORS = [
        {
            "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
            "OPTIONS": {"min_length": 16},
        }
    ]
    assert _errors("zebra-plum7x") == [
        "This password is too short. It must contain at least 16 characters."
    ]


def test_argon2_is_the_first_hasher_and_works(settings):
    from pathways import settings as pathways_settings

    # tests/conftest.py swaps in a fast hasher for speed; check the real configuration.
    settings.PASSWORD_HASHERS = pathways_settings.PASSWORD_HASHERS
    assert settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    encoded = make_password("correct horse battery staple")
    assert identify_hasher(encoded).algorithm == "argon2"
    assert check_password("correct horse battery staple", encoded)


@pytest.mark.django_db
def test_an_administrator_adding_a_user_gets_the_policy(client, role_users):
    from pathways.accounts.models import Role

    client.force_login(role_users[Role.ADMIN])

    def add(password):
        return client.post(
            "/admin/accounts/user/add/",
            {
                "username": "new-worker",
                "usable_password": "true",
                "password1": password,
                "password2": password,
                "memberships-TOTAL_FORMS": "0",
                "memberships-INITIAL_FORMS": "0",
            },
        )

    assert "This password is too common." in add("password1234").content.decode()
    assert not User.objects.filter(username="new-worker").exists()
    assert add("tomato parcel lantern").status_code == 302
    assert User.objects.get(username="new-worker").check_password("tomato parcel lantern")
