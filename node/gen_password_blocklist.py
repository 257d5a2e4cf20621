#!/usr/bin/env python3
"""Generate node/password_blocklist.h, the list of common passwords that
wl_keys_password_check rejects.

Usage: python3 node/gen_password_blocklist.py > node/password_blocklist.h

The list was written for Wardline and is not a copy of a published corpus.
It has three parts. The first is passwords that public breach analyses
widely report as the most common, such as 123456, password, qwerty,
iloveyou and dragon, written from memory. The second is words of the
hospital setting. The third is generated patterns: a common word followed
by digits or a year, a season or month and a year, keyboard walks, and
repeated or sequential digits.
Entries are lower case, because the check compares case-insensitively, and
the output is sorted in byte order and free of duplicates, so the C code can
search it with bsearch and strcmp.
"""

import sys

# Passwords that public breach analyses keep finding near the top.
COMMON = """
123456 password 12345678 qwerty 123456789 12345 1234 111111 1234567 dragon
123123 baseball abc123 football monkey letmein 696969 shadow master 666666
qwertyuiop 123321 mustang 1234567890 michael 654321 superman 1qaz2wsx
7777777 121212 000000 qazwsx 123qwe killer trustno1 jordan jennifer zxcvbnm
asdfgh hunter buster soccer harley batman andrew tigger sunshine iloveyou
charlie robert thomas hockey ranger daniel starwars klaster 112233 george
computer michelle jessica pepper 1111 zxcvbn 555555 11111111 131313 freedom
777777 pass maggie 159753 aaaaaa ginger princess joshua cheese amanda summer
love ashley nicole chelsea biteme matthew access yankees 987654321 dallas
austin thunder taylor matrix minecraft william corvette hello martin heather
secret merlin diamond 1234qwer hammer silver 222222 88888888 anthony justin
test bailey q1w2e3r4t5 patrick internet scooter orange 11111 golfer cookie
richard samantha bigdog guitar jackson whatever mickey chicken sparky snoopy
maverick phoenix camaro peanut morgan welcome falcon cowboy ferrari samsung
andrea smokey steelers joseph mercedes dakota arsenal eagles melissa boomer
booboo spider nascar monster tigers yellow xxxxxx 123123123 gateway marina
diablo bulldog qwer1234 compaq purple banana junior hannah 123654 porsche
lakers iceman money cowboys 987654 london tennis 999999 ncc1701 coffee
scooby 0000 miller boston q1w2e3r4 brandon yamaha chester mother forever
johnny edward 333333 oliver redsox player nikita knight fender barney
midnight please brandy chicago badboy slayer rangers charles angel flower
bigdaddy rabbit wizard jasper enter rachel chris steven winner adidas
victoria natasha 1q2w3e4r jasmine winter prince marine fishing cocacola
casper james 232323 raiders 888888 marlboro gandalf asdfasdf crystal
87654321 12344321 golden 8675309 password1 123456a qwerty123 1q2w3e
aa123456 abc12345 password123 admin admin123 root toor guest user default
changeme p@ssw0rd passw0rd p@ssword iloveyou1 princess1 zaq12wsx qwe123
123abc a123456 123456789a lovely 7758521 5201314 qwerty1 1qaz2wsx3edc
asd123 zxc123 q1w2e3 1234abcd abcd1234 azerty solo loveme pokemon naruto
liverpool football1 baseball1 monkey1 dragon1 shadow1 master1 sunshine1
superman1 batman1 letmein1 welcome1 welcome123 abc123456 qwertyu qwerty12
1234qwerty asdf1234 zxcv1234 asdfghjkl 147258369 741852963 159357
qweasdzxc 123qweasd 1q2w3e4r5t qazwsxedc 1qazxsw2 zaq1xsw2 zaq1zaq1
!qaz2wsx 1qaz!qaz q2w3e4r5 123456q 123456qwerty 12qwaszx qwertyuiop123
blink182 linkinpark metallica nirvana eminem 50cent tupac beyonce rihanna
jesus jesus1 christ blessed blessing faith hope grace heaven angel1
trinity godisgood iloveyou2 ilovegod lovelove loveyou babygirl baby
sweetie sweetheart honey cutie darling family family1 friends friend
bestfriend mylove myspace facebook twitter instagram google yahoo hotmail
gmail linkedin youtube netflix spotify amazon apple iphone android windows
microsoft linux ubuntu computer1 laptop desktop server system network
security login logon signin account manager office work business company
test123 test1234 testing tester demo sample example temp temp123 temporary
newpassword newpass mypassword mypass passpass password12 password1234
password12345 passwort motdepasse contrasena senha parola salasana
lozinka heslo jelszo haslo wachtwoord adgangskode losenord passord
letmein123 opensesame open sesame nothing none null blank empty secret1
secret123 private hidden unknown anonymous nobody someone anything
everything whatever1 iamgod god goddess king queen princess123 prince1
master123 administrator admin1 admin1234 root123 superuser supervisor
manager1 operator support helpdesk service backup oracle mysql postgres
sql database cisco router switch firewall vpn wifi wireless
michael1 jennifer1 jessica1 ashley1 amanda1 daniel1 andrew1 joshua1
matthew1 charlie1 thomas1 robert1 william1 jordan1 hunter1 taylor1
jordan23 michael23 kobe24 lebron23 tigers1 yankees1 redsox1 cowboys1
eagles1 steelers1 packers lakers1 celtics bulls chelsea1 arsenal1
manutd manchester barcelona realmadrid juventus liverpool1 everton
soccer1 hockey1 tennis1 golf golfer1 fishing1 hunting racing running
cricket rugby boxing karate ninja samurai pirate cowboy1 soldier army
marines navy airforce police fireman firefighter teacher student school
college university doctor1 lawyer engineer pilot captain sergeant major
general colonel commander chief boss leader hero legend champion winner1
killer1 hunter2 dragon12 dragons monkey12 monkeys tiger lion wolf bear
eagle hawk falcon1 shark dolphin whale panther jaguar leopard cheetah
horse pony unicorn dragonfly butterfly kitten kitty cat cats dog dogs
puppy doggy fluffy buddy max bella lucy daisy molly sadie rocky coco
lola zoe sophie chloe lily luna ruby rosie stella penny oreo pumpkin
cupcake cookie1 candy chocolate vanilla strawberry cherry apple1 banana1
orange1 lemon mango peach pineapple coconut watermelon blueberry
rainbow sunshine12 sunset sunrise moonlight starlight stars galaxy
universe planet earth mars jupiter saturn venus mercury pluto rocket
spaceman alien matrix1 neo morpheus trinity1 zion hacker hacking
cyber digital pixel gamer gaming xbox playstation nintendo mario
zelda sonic pikachu fortnite roblox minecraft1 halo callofduty
warcraft starcraft diablo1 skyrim witcher batman123 spiderman ironman
superman123 hulk thor loki avengers marvel deadpool wolverine joker
harrypotter hogwarts gryffindor voldemort frodo gandalf1 hobbit
starwars1 skywalker jedi yoda vader chewbacca startrek spock
summer1 winter1 spring autumn fall snow snowball christmas santa
halloween easter valentine birthday holiday vacation beach ocean
island paradise tropical florida california texas newyork
america usa canada england scotland ireland australia germany
france italy spain brazil mexico india china japan russia
london1 paris berlin madrid rome tokyo moscow sydney toronto
hello1 hello123 hi hey goodbye bye thanks thankyou please1
sorry yes no maybe ok okay alright cool awesome amazing great
super nice happy happy1 smile funny crazy silly lucky lucky7
lucky13 magic mystery shadow12 dark darkness black white red
blue green yellow1 purple1 pink silver1 gold golden1 diamond1
platinum crystal1 ruby1 emerald sapphire pearl jade onyx
master12 qwert qwer asdf zxcv asdfg zxcvb qazxsw poiuytrewq
lkjhgfdsa mnbvcxz qwertz qwertzuiop azertyuiop ytrewq trewq
1qaz 2wsx 3edc 4rfv 1q2w 1qa2ws3ed qwaszx qwerasdf qwerasdfzxcv
asdfqwer zxcvasdf qweqwe asdasd zxczxc qweasd asdzxc 123qwe123
qwe123qwe 1q1q1q 1a2b3c 1a2b3c4d a1b2c3 a1b2c3d4 abc abcd abcde
abcdef abcdefg abcdefgh abcdefghi abcdefghij abcabc abc123abc
aaa111 aaa123 aaaa1111 a1a1a1 a12345 a1234567 abcd123 abcde12345
"""

# Words of the hospital setting and of this product, which an attacker who
# targets the site tries first.
CONTEXT = """
wardline ward hospital nurse nurses nursing rn lpn cna charge chargenurse
doctor doctors medic medical medicine clinic clinical health healthcare
patient patients physician pharmacy pharmacist pharma surgery surgeon
theatre theater icu picu nicu ccu emergency triage trauma ambulance
paramedic cardiology oncology pediatric pediatrics paediatrics maternity
midwife obstetrics radiology xray oncall onduty shift nightshift dayshift
handoff handover rounds bedside stethoscope scrubs hipaa phi covid covid19
corona vaccine caregiver carer careteam unitclerk clerk admission
discharge census epic cerner meditech allscripts pyxis omnicell vocera
medstaff staff staff123 employee nursestation frontdesk reception
caduceus hippocrates florence nightingale florencenightingale
compliance audit auditor privacy secure secure123 welcome2hospital
mercy stjude stmary stmarys stjoseph sacredheart goodsamaritan
general generalhospital memorial university childrens kaiser mayo
"""

# Bases that also appear with the usual suffixes below.
SUFFIXED = """
password passw0rd p@ssw0rd p@ssword welcome qwerty letmein admin changeme
iloveyou monkey dragon sunshine princess football baseball master shadow
abc trustno hello secret love summer winter spring autumn
wardline ward hospital nurse nursing doctor medic medical pharmacy
pharmacist physician clinic health healthcare patient charge icu
emergency surgery triage shift staff hipaa covid caregiver compliance
"""

SUFFIXES = ["1", "12", "123", "1234", "12345", "123456", "!", "1!", "12!",
            "123!", "@123", "#1", "01", "007", "69", "99", "2020", "2021",
            "2022", "2023", "2024", "2025", "2026", "2027", "2028"]

SEASONS = ["spring", "summer", "autumn", "fall", "winter"]
MONTHS = ["january", "february", "march", "april", "may", "june", "july",
          "august", "september", "october", "november", "december"]
YEARS = range(2015, 2031)


def digit_patterns():
    out = set()
    digits = "0123456789"
    for d in digits:
        for n in range(6, 13):
            out.add(d * n)
    for n in range(6, 11):
        out.add(digits[1:n + 1] if n < 10 else "1234567890")
        out.add(digits[:n])
        out.add(digits[::-1][:n])
    for unit in ["12", "123", "1234", "12345", "123456", "11", "112233",
                 "1212", "1122", "69", "007", "2580", "147", "258", "369",
                 "159", "753", "13", "21", "123321", "420", "666", "777"]:
        for times in range(2, 6):
            s = unit * times
            if 6 <= len(s) <= 16:
                out.add(s)
    return out


def build():
    words = set(COMMON.split()) | set(CONTEXT.split())
    for base in SUFFIXED.split():
        words.add(base)
        for suffix in SUFFIXES:
            words.add(base + suffix)
    for season in SEASONS:
        for year in YEARS:
            words.add("%s%d" % (season, year))
            words.add("%s%d!" % (season, year))
    for month in MONTHS:
        for year in YEARS:
            words.add("%s%d" % (month, year))
    words |= digit_patterns()
    return sorted(w.lower() for w in words if w)


def main():
    words = build()
    for w in words:
        if any(c in w for c in '"\\') or not w.isascii() or not w.isprintable():
            sys.exit("entry needs escaping: %r" % w)
    out = sys.stdout
    out.write("/* Generated by node/gen_password_blocklist.py: do not edit.\n")
    out.write(" *\n")
    out.write(" * Common passwords that wl_keys_password_check rejects, lower"
              " case and\n")
    out.write(" * sorted in byte order. The list was written for Wardline "
              "from widely\n")
    out.write(" * reported common passwords, hospital words and generated "
              "patterns; it\n")
    out.write(" * is not a published corpus. %d entries. */\n" % len(words))
    out.write("#ifndef WARDLINE_PASSWORD_BLOCKLIST_H\n")
    out.write("#define WARDLINE_PASSWORD_BLOCKLIST_H\n\n")
    out.write("static const char *const password_blocklist[] = {\n")
    for w in words:
        out.write('\t"%s",\n' % w)
    out.write("};\n\n#endif\n")


if __name__ == "__main__":
    main()
