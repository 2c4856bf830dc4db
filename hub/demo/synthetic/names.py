"""Embedded name lists: surnames and forenames with rough UK frequency weights, and short forms.

Weights are relative (roughly people per 100,000). Every name encodes in cp1252. All lists are
invented for synthetic data; they hold no record of any real person.
"""

from __future__ import annotations

import hashlib

_SURNAMES = """
Smith 1260, Jones 970, Williams 690, Taylor 560, Brown 530, Davies 480, Evans 400, Wilson 370,
Thomas 360, Johnson 350, Roberts 340, Robinson 300, Thompson 300, Wright 290, Walker 290,
White 280, Edwards 270, Hughes 260, Green 260, Hall 260, Lewis 250, Harris 250, Clarke 240,
Patel 240, Jackson 230, Wood 230, Turner 220, Martin 220, Cooper 220, Hill 210, Ward 210,
Morris 210, Moore 200, Clark 200, Lee 200, King 200, Baker 190, Harrison 190, Morgan 190,
Allen 180, James 180, Scott 180, Phillips 180, Watson 170, Davis 170, Parker 170, Price 160,
Bennett 160, Young 160, Griffiths 160, Mitchell 160, Kelly 150, Cook 150, Carter 150,
Richardson 150, Bailey 150, Collins 150, Bell 150, Shaw 140, Murphy 140, Miller 140, Cox 140,
Richards 140, Khan 140, Marshall 130, Anderson 130, Simpson 130, Ellis 130, Adams 130,
Singh 130, Begum 120, Wilkinson 120, Foster 120, Chapman 120, Powell 120, Webb 120, Rogers 120,
Gray 120, Mason 110, Ali 110, Hunt 110, Hussain 110, Campbell 110, Matthews 110, Owen 110,
Palmer 110, Holmes 110, Mills 110, Barnes 100, Knight 100, Lloyd 100, Butler 100, Russell 100,
Barker 100, Fisher 100, Stevens 100, Jenkins 100, Murray 100, Dixon 100, Harvey 100, Graham 95,
Pearson 95, Ahmed 95, Fletcher 95, Walsh 95, Kaur 95, Gibson 90, Howard 90, Andrews 90,
Stewart 90, Elliott 90, Reynolds 90, Saunders 90, Payne 90, Fox 90, Ford 85, Pearce 85, Day 85,
Brooks 85, West 85, Lawrence 85, Cole 85, Atkinson 85, Bradley 80, Spencer 80, Gill 80,
Dawson 80, Ball 80, Burton 80, O'Brien 80, Watts 80, Rose 80, Booth 75, Perry 75, Ryan 75,
Grant 75, Wells 75, Armstrong 75, Francis 75, Rees 75, Hayes 70, Hart 70, Hudson 70, Newman 70,
Barrett 70, Webster 70, Hunter 70, Gregory 70, Carr 70, Lowe 70, Page 65, Marsh 65, Riley 65,
Dunn 65, Woods 65, Parsons 65, Berry 65, Stone 65, Reid 65, Holland 65, Hawkins 60, Harding 60,
Porter 60, Robertson 60, Newton 60, Oliver 60, Reed 60, Kennedy 60, Williamson 60, Bird 60,
Gardner 60, Shah 60, Dean 55, Lane 55, Cooke 55, Bates 55, Henderson 55, Parry 55, Burgess 55,
Bishop 55, Walton 55, Burns 55, Nicholson 55, Shepherd 55, Ross 55, Cross 50, Long 50,
Freeman 50, Warren 50, Nicholls 50, Hamilton 50, Byrne 50, Sutton 50, McDonald 50, Yates 50,
Hodgson 50, Robson 50, Curtis 50, Hopkins 50, O'Connor 45, Harper 45, Coleman 45, Watkins 45,
Moss 45, McCarthy 45, Chambers 45, O'Neill 45, Griffin 45, Sharp 45, Hardy 45, Wheeler 45,
Potter 45, Osborne 45, Johnston 45, Gordon 45, Doyle 45, Wallace 45, George 45, Jordan 40,
Hutchinson 40, Rowe 40, Burke 40, May 40, Pritchard 40, Gilbert 40, Willis 40, Higgins 40,
Read 40, Miles 40, Stevenson 40, Stephenson 40, Hammond 40, Arnold 40, Buckley 40, Walters 40,
Hewitt 40, Barber 40, Nelson 40, Slater 40, Austin 40, Sullivan 40, Whitehead 40, Mann 40,
Frost 40, Lambert 40, Stephens 40, Blake 40, Akhtar 35, Lynch 35, Goodwin 35, Barton 35,
Woodward 35, Thomson 35, Cunningham 35, Quinn 35, Barnett 35, Baxter 35, Bibi 35, Clayton 35,
Nash 35, Greenwood 35, Jennings 35, Holt 35, Kemp 35, Poole 35, Gallagher 35, Bond 35,
Stokes 35, Tucker 30, Davidson 30, Fowler 30, Heath 30, Norman 30, Middleton 30, Lawson 30,
Banks 30, French 30, Stanley 30, Jarvis 30, Gibbs 30, Ferguson 30, Hayward 30, Carroll 30,
Douglas 30, Dickinson 30, Todd 30, Barlow 30, Peters 30, Lucas 30, Knowles 30, Hartley 30,
Miah 30, Simmons 30, Morton 30, Alexander 30, Field 30, Morrison 30, Norris 30, Townsend 30,
Preston 30, Hancock 30, Thornton 30, Baldwin 30, Burrows 30, Briggs 30, Hicks 30, Pascoe 30,
Hocking 25, Penrose 20, Nance 20, Dunstan 20, Symons 20, Tregear 15, Curnow 15, Pengelly 15,
Jago 15, Opie 15, Bone 15, Tonkin 15, Eddy 15, Couch 15, Trevithick 10, Chenoweth 10,
Tremayne 10, Angove 10, Bolitho 10, Rosewarne 10, Trengove 10, Uren 10, Kitto 10, Carne 10,
Treloar 10, Lobb 10, Blewett 10, Libby 10, Trebilcock 8, Retallick 8, Nankivell 8, Vosper 8,
Trewin 8, Coad 8, Trelawny 5, Polglase 5, O'Sullivan 20, O'Reilly 15, O'Donnell 10, D'Souza 8,
McLaughlin 15, MacLeod 10, McKenzie 15, Smith-Jones 5, Harding-Price 3, Clarke-Hill 3,
Ashworth-Lee 3, Kowalski 5, Nowak 5, Müller 3, Núñez 3, Gómez 3, Gonçalves 3,
Lefèvre 2, Brontë 2
"""

_MALE = """
David 300, John 280, James 260, Michael 260, Paul 240, Andrew 230, Mark 220, Christopher 200,
Robert 190, Richard 180, Daniel 180, Peter 170, Stephen 170, Matthew 170, Thomas 170,
William 160, Steven 120, Anthony 120, Jack 120, Gary 110, Ian 110, Joseph 110, Ryan 110,
Kevin 100, Simon 100, Martin 100, Adam 100, Liam 100, Joshua 100, Samuel 100, Luke 90, Lee 90,
Alan 90, George 90, Benjamin 90, Darren 80, Scott 80, Jamie 80, Philip 80, Harry 80,
Oliver 80, Craig 70, Jason 70, Nathan 70, Neil 70, Brian 70, Alexander 70, Edward 70,
Wayne 60, Dean 60, Stuart 60, Graham 60, Keith 60, Colin 60, Callum 60, Connor 60, Jordan 60,
Jake 60, Charlie 60, Lewis 60, Mohammed 60, Jonathan 60, Nicholas 60, Carl 50, Kieran 50,
Aaron 50, Bradley 50, Kyle 50, Sean 50, Shaun 40, Henry 40, Dylan 40, Reece 40, Tyler 40,
Ethan 40, Rhys 40, Owen 40, Gareth 40, Patrick 40, Barry 40, Raymond 40, Kenneth 40,
Timothy 40, Tony 30, Dominic 30, Marcus 30, Russell 30, Terry 30, Derek 30, Trevor 30,
Roger 30, Malcolm 30, Nigel 30, Adrian 30, Ross 30, Gavin 30, Harvey 30, Max 30, Billy 30,
Ronald 30, Ali 20, Geoffrey 20, Gordon 20, Douglas 20, Clive 20, Glen 20, Dale 20, Jeremy 20,
Leon 20, Mason 20, Finley 20, Kai 20, Toby 20, Elliot 20, Joel 20, Declan 20, Alfie 20,
Archie 20, Arthur 20, Dennis 20, Frederick 15, Francis 15, Leonard 15, Stanley 15, Wesley 15,
Tomasz 10, Piotr 10, Dafydd 10, Huw 10, Victor 10, Albert 10, Zak 10, José 6, Bartosz 5,
Dewi 5, Noël 3, René 3, Jago 5, Kenwyn 3, Vincent 15, Howard 15, Norman 15, Eric 15,
Roy 15, Tristan 10, Jacob 40, Louis 20, Oscar 15, Theo 15, Reuben 10, Ashley 20, Darryl 5
"""

_FEMALE = """
Sarah 250, Emma 200, Laura 170, Susan 160, Claire 150, Helen 150, Elizabeth 150, Rebecca 140,
Rachel 140, Lisa 140, Nicola 140, Karen 140, Julie 140, Louise 140, Michelle 130, Joanne 120,
Samantha 120, Margaret 120, Charlotte 120, Amy 120, Amanda 110, Patricia 110, Mary 110,
Hannah 110, Sophie 110, Gemma 100, Kelly 100, Tracey 100, Jennifer 100, Catherine 100,
Linda 100, Christine 100, Jane 100, Jessica 100, Lauren 100, Deborah 90, Angela 90,
Sharon 90, Carol 90, Janet 90, Victoria 90, Chloe 90, Donna 80, Katherine 80, Anne 80,
Alison 80, Emily 80, Lucy 80, Jacqueline 70, Natalie 70, Katie 70, Megan 70, Sandra 70,
Dawn 60, Zoe 60, Danielle 60, Jade 60, Hayley 60, Caroline 60, Bethany 50, Stacey 50,
Leanne 50, Kirsty 50, Abigail 50, Olivia 50, Holly 50, Diane 50, Barbara 50, Kayleigh 40,
Ellie 40, Grace 40, Georgia 40, Marie 40, Wendy 40, Pauline 40, Jean 40, Lorraine 40,
Joanna 40, Fiona 40, Kathryn 40, Kathleen 40, Ann 40, Gillian 40, Heather 40, Alexandra 40,
Natasha 40, Shannon 30, Courtney 30, Amber 30, Jasmine 30, Paige 30, Molly 30, Ella 30,
Teresa 30, Beverley 30, Denise 30, Tina 30, Kim 30, Valerie 30, Shirley 30, Maureen 30,
Sheila 30, Maria 30, Isabella 20, Mia 20, Ruby 20, Freya 20, Poppy 20, Sian 20, Theresa 20,
Brenda 20, Hazel 20, Rosemary 20, Frances 20, Rhiannon 15, Anne-Marie 15, Irene 15,
Josephine 15, Aisha 15, Siân 10, Zoë 10, Doreen 10, Penelope 10, Fatima 10, Ayesha 10,
Priya 10, Morwenna 8, Tamsin 8, Demelza 5, Chloé 5, Renée 5, Ffion 5, Bronwen 5,
Mary-Jane 5, Aleksandra 5, Agnieszka 5, Inês 3, Françoise 2, Lynn 25, Yvonne 20,
Vanessa 20, Tanya 20, Melanie 40, Sally 30, Carly 20, Becky 10, Eleanor 25, Harriet 15,
Imogen 10, Esther 5
"""

# Formal name -> short forms and common variant spellings seen in partner systems.
NICKNAMES: dict[str, tuple[str, ...]] = {
    "William": ("Bill", "Will", "Billy"),
    "Robert": ("Bob", "Rob", "Bobby", "Robbie"),
    "Elizabeth": ("Liz", "Beth", "Lizzie", "Betty"),
    "James": ("Jim", "Jimmy", "Jamie"),
    "Anthony": ("Tony", "Ant"),
    "Katherine": ("Kate", "Kathy", "Katie"),
    "Catherine": ("Kate", "Cathy", "Cath"),
    "Kathryn": ("Kate", "Kathy"),
    "Michael": ("Mike", "Mick", "Mickey"),
    "David": ("Dave", "Davey"),
    "Stephen": ("Steve", "Stevie"),
    "Steven": ("Steve", "Stevie"),
    "Christopher": ("Chris", "Kit"),
    "Richard": ("Rich", "Rick", "Richie"),
    "Thomas": ("Tom", "Tommy"),
    "Joseph": ("Joe", "Joey"),
    "Daniel": ("Dan", "Danny"),
    "Matthew": ("Matt", "Matty"),
    "Andrew": ("Andy", "Drew"),
    "Nicholas": ("Nick", "Nicky"),
    "Jonathan": ("Jon", "Johnny"),
    "John": ("Jack", "Johnny"),
    "Benjamin": ("Ben", "Benny"),
    "Samuel": ("Sam", "Sammy"),
    "Alexander": ("Alex", "Sandy"),
    "Edward": ("Ed", "Eddie", "Ted"),
    "Peter": ("Pete",),
    "Philip": ("Phil",),
    "Timothy": ("Tim",),
    "Kenneth": ("Ken", "Kenny"),
    "Raymond": ("Ray",),
    "Ronald": ("Ron", "Ronnie"),
    "Gareth": ("Gaz",),
    "Gary": ("Gaz",),
    "Frederick": ("Fred", "Freddie"),
    "Leonard": ("Len", "Lenny"),
    "Henry": ("Harry", "Hal"),
    "Joshua": ("Josh",),
    "Nathan": ("Nat", "Nate"),
    "Terry": ("Tel",),
    "Mohammed": ("Mohammad", "Muhammad"),
    "José": ("Jose",),
    "Noël": ("Noel",),
    "René": ("Rene",),
    "Samantha": ("Sam", "Sammy"),
    "Rebecca": ("Becky", "Becca"),
    "Jennifer": ("Jen", "Jenny"),
    "Victoria": ("Vicky", "Tori"),
    "Deborah": ("Debbie", "Debs"),
    "Margaret": ("Maggie", "Peggy", "Meg"),
    "Patricia": ("Pat", "Trish"),
    "Susan": ("Sue", "Suzy"),
    "Jacqueline": ("Jackie",),
    "Christine": ("Chris", "Chrissie"),
    "Alexandra": ("Alex", "Lexi"),
    "Abigail": ("Abbie", "Abby"),
    "Charlotte": ("Charlie", "Lottie"),
    "Jessica": ("Jess", "Jessie"),
    "Natasha": ("Tash", "Tasha"),
    "Josephine": ("Jo", "Josie"),
    "Joanne": ("Jo",),
    "Joanna": ("Jo",),
    "Nicola": ("Nicky", "Nikki"),
    "Kathleen": ("Kath", "Kathy"),
    "Amanda": ("Mandy",),
    "Frances": ("Fran",),
    "Penelope": ("Penny",),
    "Rosemary": ("Rosie",),
    "Gillian": ("Jill", "Gill"),
    "Zoë": ("Zoe",),
    "Chloé": ("Chloe",),
    "Siân": ("Sian",),
    "Renée": ("Renee",),
    "Aleksandra": ("Ola",),
    "Anne-Marie": ("Annie", "Anne Marie"),
}


def _parse(block: str) -> tuple[tuple[str, ...], tuple[int, ...]]:
    pairs = [item.strip().rsplit(" ", 1) for item in block.replace("\n", " ").split(",")]
    kept = [(name, int(weight)) for name, weight in pairs if int(weight) > 0]
    return tuple(n for n, _ in kept), tuple(w for _, w in kept)


# Roots and endings of English place-name surnames (Ashworth, Bramley, Thornton ...). The list
# above names the commonest surnames only: its weights add to about a third of people. The other
# two thirds carry rarer surnames, tens of thousands of them, each held by few people; without
# them every synthetic person drew one of a few hundred surnames and full names were shared
# about nine times as often as in the population, which no real extract shows.
_TAIL_ROOTS = """
Ash Ald Alb Ark Bark Bel Bex Bick Bird Blen Bol Brad Bram Bran Brent Brid Brom Buck Bud Burn
Cad Cal Cam Can Car Chad Chal Chat Chel Ches Chil Clay Cliff Cob Cold Col Cop Cot Cran Crom
Crow Cud Dal Dar Dav Den Der Dew Dig Dod Down Drax Dun Eas Ed Eg Elm Els Ev Fair Far Fel Fen
Fern Fin Gal Gar Gat Gil Glad Gold Good Gos Gran Grim Had Hal Ham Han Har Has Hath Haw Hay Hen
Her Hes Hig Hind Hol Horn Hux Ing Kel Ken Kil Kim Kings Kir Knap Lam Lang Lath Lax Led Lev Lid
Lin Lock Lud Lyn Mal Man Mar Mat Med Mel Mid Mil Mor Nap Neth Nor Not Oak Ock Old Orm Os Ox
Pad Pal Pen Pick Plum Pol Pres Pud Rad Ram Rav Red Ren Rid Rod Ros Row Rud Rush Sal Sand Sax
Scar Shel Sher Ship Shir Sid Skel Slad Sned Spal Stam Stan Stap Stock Sud Sum Swin Tad Tam Tan
Tar Tat Ted Ten Thack Thorn Tib Tid Tod Tow Trel Tun Up Wad Wal War Wat Wed Wel Wen Wes Whit
Wick Wig Wil Win Wit Wol Wor Wy Yar Yel
"""
_TAIL_ENDINGS = """
ley ton ford well worth by ham field more wood bury combe den dale hurst stone wick shaw thorpe
bridge cott low stead ridge gate ington er ers ings man son kins ett ard ock all ell ey ing ins
hall land lock mere ney nall over rick rigg sby sley ston wright yard acre beck brook burn bush
cliffe croft cross dell don down dyke fell fold garth grave green grove hay head hill holme holt
hope kirk lake lea leigh ling lowe marsh mead mill moor royd side thwaite tree vale wall water
"""


def _tail_surnames(known: tuple[str, ...], known_weights: tuple[int, ...]) -> tuple[
    tuple[str, ...], tuple[float, ...]
]:  # fmt: skip
    """Rarer surnames than the list's, with weights falling by rank from about the list's
    smallest common ones, adding up to the people the list leaves out."""
    joined = {
        root + (ending[1:] if root[-1] == ending[0] else ending)
        for root in _TAIL_ROOTS.split()
        for ending in _TAIL_ENDINGS.split()
    }
    names = sorted(joined - set(known))
    first_rank = len(known) + 1
    raw = [(first_rank / (first_rank + i)) ** _TAIL_EXPONENT for i in range(len(names))]
    scale = (100_000 - sum(known_weights)) / sum(raw)
    ranked = sorted(names, key=_shuffle_key)
    weight_of = {name: raw[rank] * scale for rank, name in enumerate(ranked)}
    return tuple(names), tuple(weight_of[name] for name in names)


_TAIL_EXPONENT = 0.77
"""Chosen so the commonest tail surname is about as common as the list's last (about 30)."""


def _shuffle_key(name: str) -> int:
    """A fixed order unrelated to spelling, for giving tail names their ranks."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little")


_COMMON_SURNAMES, _COMMON_SURNAME_WEIGHTS = _parse(_SURNAMES)
_TAIL, _TAIL_WEIGHTS = _tail_surnames(_COMMON_SURNAMES, _COMMON_SURNAME_WEIGHTS)
SURNAMES: tuple[str, ...] = _COMMON_SURNAMES + _TAIL
SURNAME_WEIGHTS: tuple[float, ...] = _COMMON_SURNAME_WEIGHTS + _TAIL_WEIGHTS
MALE_FORENAMES, MALE_WEIGHTS = _parse(_MALE)
FEMALE_FORENAMES, FEMALE_WEIGHTS = _parse(_FEMALE)
