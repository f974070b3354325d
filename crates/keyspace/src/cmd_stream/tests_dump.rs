//! RESTORE of a stream payload redis-server 7.0.15 wrote (tombstones, consumer groups, a PEL,
//! consumers), checked against the XINFO replies Redis gave for the same stream.

use bytes::Bytes;

use super::tests::run;
use crate::db::Keyspace;
use crate::test_util::{error, ok};

/// DUMP of a stream of 130 entries (some with a second field), 3 deleted and 4 trimmed, a
/// group `g` with alice (4 pending), bob (2, one claimed with TIME and RETRYCOUNT) and carol
/// (none), and a group `g2` without consumers.
const PAYLOAD_HEX: &str = "13021000000000000000010000000000000001c3437f471a131a07000049025f01050101018166020001030100200102010104200900012009000260090002200900036009401f000420014005401d20340605018167029e78e01400011f082043000520310006203b00022005020001076009000720090008600900082009000920094005a059000ae01f59000a2031000b203b000220050200010c6009000c2009000d6009000d2009000e20094005a059000fe01f59000f20310010203b00022005020001116009001120090012600900122009001320094005a0590014e01f59001420310015203b00022005020001166009001620090017600900172009001820094005a0590019e01f5900192031001a203b000220050200011b6009001b2009001c6009001c2009001d20094005a059001ee01f59001e2031001f203b00022005020001206009002020090021600900212009002220094005a0590023e01f59002320310024203b00022005020001256009002520090026600900262009002720094005a0590028e01f59002820310029203b000220050200012a6009002a2009002b6009002b2009002c20094005a059002de01f59002d2031002e203b000220050200012f6009002f200900306009003020090031200900012005a0590032e01f59003220310033203b00022005020001346009003420090035600900352009003620094005a0590037e01f59003720310038203b0002200502000139600900392009003a6009003a2009003b20094005a059003ce01f59003c2031003d203b000220050200013e6009003e2009003f6009003f2009004020094005a0590041e01f59004120310042203b00022005020001436009004320090044600900442009004520094005a0590046e01f59004620310047203b00022005020001486009004820090049600900492009004a20094005a059004be01f59004b2031004c203b000220050200014d6009004d2009004e6009004e2009004f20094005a0590050e01f59005020310051203b00022005020001526009005220090053600900532009005420094005a0590055e01f59005520310056203b00022005020001576009005720090058600900582009005920094005a059005ae01f59005a2031005b203b000220050200015c6009005c2009005d6009005d2009005e20094005a059005fe01f59005f20310060203b00022005020001616009006120090062600900622009006320094005a0590064e01c590101ff1000000000000000650000000000000001c3413c42310731020000b3001d014000078166020001030100200104650104010220130200016660090002200900676009401f0068200900006003000240340669018167029e78e01400011f08202b00052035006a2037020201062009006b600900072009006c600900082009006d20090200010920036059006ee01f59000a2031006f203b0202010b200900706009000c200900716009000d2009007220090200010e200360590073e01f59000f20310074203b020201102009007560090011200900766009001220090077200902000113200360590078e01f59001420310079203b020201152009007a600900162009007b600900172009007c20090200011820036059007de01f5900192031007e203b0202011a2009007f6009001b200902c080024014001c400a0081200a0200011d2003605b02c08202e11bc40101ff407c408201050140650140820201670a0181ffffffffffffffff06000000000000000500000000000000010068e5cf8b010000090000000000000006000000000000000166ff9347a2010000010000000000000007000000000000000166ff9347a2010000010000000000000008000000000000000166ff9347a2010000010000000000000009000000000000000166ff9347a201000001000000000000000a000000000000000166ff9347a2010000010305616c69636566ff9347a20100000300000000000000060000000000000001000000000000000700000000000000010000000000000008000000000000000103626f6266ff9347a2010000030000000000000005000000000000000100000000000000090000000000000001000000000000000a0000000000000001056361726f6c66ff9347a20100000002673240780181ffffffffffffffff00000a003ad94166dd69cfb3";

/// Redis's `XINFO STREAM s FULL COUNT 0`, `XINFO STREAM s`, `XRANGE s - + COUNT 3` (RESP2).
const REDIS_REPLIES: [&[u8]; 3] = [
    b"*18\r\n$6\r\nlength\r\n:124\r\n$15\r\nradix-tree-keys\r\n:2\r\n$16\r\nradix-tree-nodes\r\n:6\r\n$17\r\nlast-generated-id\r\n$5\r\n130-1\r\n$20\r\nmax-deleted-entry-id\r\n$5\r\n101-1\r\n$13\r\nentries-added\r\n:130\r\n$23\r\nrecorded-first-entry-id\r\n$3\r\n5-1\r\n$7\r\nentries\r\n*124\r\n*2\r\n$3\r\n5-1\r\n*4\r\n$1\r\nf\r\n$1\r\n5\r\n$1\r\ng\r\n$30\r\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n*2\r\n$3\r\n6-1\r\n*2\r\n$1\r\nf\r\n$1\r\n6\r\n*2\r\n$3\r\n7-1\r\n*2\r\n$1\r\nf\r\n$1\r\n7\r\n*2\r\n$3\r\n8-1\r\n*2\r\n$1\r\nf\r\n$1\r\n8\r\n*2\r\n$3\r\n9-1\r\n*2\r\n$1\r\nf\r\n$1\r\n9\r\n*2\r\n$4\r\n10-1\r\n*4\r\n$1\r\nf\r\n$2\r\n10\r\n$1\r\ng\r\n$30\r\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n*2\r\n$4\r\n11-1\r\n*2\r\n$1\r\nf\r\n$2\r\n11\r\n*2\r\n$4\r\n12-1\r\n*2\r\n$1\r\nf\r\n$2\r\n12\r\n*2\r\n$4\r\n13-1\r\n*2\r\n$1\r\nf\r\n$2\r\n13\r\n*2\r\n$4\r\n14-1\r\n*2\r\n$1\r\nf\r\n$2\r\n14\r\n*2\r\n$4\r\n15-1\r\n*4\r\n$1\r\nf\r\n$2\r\n15\r\n$1\r\ng\r\n$30\r\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n*2\r\n$4\r\n16-1\r\n*2\r\n$1\r\nf\r\n$2\r\n16\r\n*2\r\n$4\r\n17-1\r\n*2\r\n$1\r\nf\r\n$2\r\n17\r\n*2\r\n$4\r\n18-1\r\n*2\r\n$1\r\nf\r\n$2\r\n18\r\n*2\r\n$4\r\n19-1\r\n*2\r\n$1\r\nf\r\n$2\r\n19\r\n*2\r\n$4\r\n20-1\r\n*4\r\n$1\r\nf\r\n$2\r\n20\r\n$1\r\ng\r\n$30\r\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n*2\r\n$4\r\n21-1\r\n*2\r\n$1\r\nf\r\n$2\r\n21\r\n*2\r\n$4\r\n22-1\r\n*2\r\n$1\r\nf\r\n$2\r\n22\r\n*2\r\n$4\r\n23-1\r\n*2\r\n$1\r\nf\r\n$2\r\n23\r\n*2\r\n$4\r\n24-1\r\n*2\r\n$1\r\nf\r\n$2\r\n24\r\n*2\r\n$4\r\n25-1\r\n*4\r\n$1\r\nf\r\n$2\r\n25\r\n$1\r\ng\r\n$30\r\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n*2\r\n$4\r\n26-1\r\n*2\r\n$1\r\nf\r\n$2\r\n26\r\n*2\r\n$4\r\n27-1\r\n*2\r\n$1\r\nf\r\n$2\r\n27\r\n*2\r\n$4\r\n28-1\r\n*2\r\n$1\r\nf\r\n$2\r\n28\r\n*2\r\n$4\r\n29-1\r\n*2\r\n$1\r\nf\r\n$2\r\n29\r\n*2\r\n$4\r\n30-1\r\n*4\r\n$1\r\nf\r\n$2\r\n30\r\n$1\r\ng\r\n$30\r\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n*2\r\n$4\r\n31-1\r\n*2\r\n$1\r\nf\r\n$2\r\n31\r\n*2\r\n$4\r\n32-1\r\n*2\r\n$1\r\nf\r\n$2\r\n32\r\n*2\r\n$4\r\n33-1\r\n*2\r\n$1\r\nf\r\n$2\r\n33\r\n*2\r\n$4\r\n34-1\r\n*2\r\n$1\r\nf\r\n$2\r\n34\r\n*2\r\n$4\r\n35-1\r\n*4\r\n$1\r\nf\r\n$2\r\n35\r\n$1\r\ng\r\n$30\r\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n*2\r\n$4\r\n36-1\r\n*2\r\n$1\r\nf\r\n$2\r\n36\r\n*2\r\n$4\r\n37-1\r\n*2\r\n$1\r\nf\r\n$2\r\n37\r\n*2\r\n$4\r\n38-1\r\n*2\r\n$1\r\nf\r\n$2\r\n38\r\n*2\r\n$4\r\n39-1\r\n*2\r\n$1\r\nf\r\n$2\r\n39\r\n*2\r\n$4\r\n40-1\r\n*4\r\n$1\r\nf\r\n$2\r\n40\r\n$1\r\ng\r\n$30\r\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n*2\r\n$4\r\n41-1\r\n*2\r\n$1\r\nf\r\n$2\r\n41\r\n*2\r\n$4\r\n42-1\r\n*2\r\n$1\r\nf\r\n$2\r\n42\r\n*2\r\n$4\r\n43-1\r\n*2\r\n$1\r\nf\r\n$2\r\n43\r\n*2\r\n$4\r\n44-1\r\n*2\r\n$1\r\nf\r\n$2\r\n44\r\n*2\r\n$4\r\n45-1\r\n*4\r\n$1\r\nf\r\n$2\r\n45\r\n$1\r\ng\r\n$30\r\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n*2\r\n$4\r\n46-1\r\n*2\r\n$1\r\nf\r\n$2\r\n46\r\n*2\r\n$4\r\n47-1\r\n*2\r\n$1\r\nf\r\n$2\r\n47\r\n*2\r\n$4\r\n48-1\r\n*2\r\n$1\r\nf\r\n$2\r\n48\r\n*2\r\n$4\r\n49-1\r\n*2\r\n$1\r\nf\r\n$2\r\n49\r\n*2\r\n$4\r\n51-1\r\n*2\r\n$1\r\nf\r\n$2\r\n51\r\n*2\r\n$4\r\n52-1\r\n*2\r\n$1\r\nf\r\n$2\r\n52\r\n*2\r\n$4\r\n53-1\r\n*2\r\n$1\r\nf\r\n$2\r\n53\r\n*2\r\n$4\r\n54-1\r\n*2\r\n$1\r\nf\r\n$2\r\n54\r\n*2\r\n$4\r\n55-1\r\n*4\r\n$1\r\nf\r\n$2\r\n55\r\n$1\r\ng\r\n$30\r\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n*2\r\n$4\r\n56-1\r\n*2\r\n$1\r\nf\r\n$2\r\n56\r\n*2\r\n$4\r\n57-1\r\n*2\r\n$1\r\nf\r\n$2\r\n57\r\n*2\r\n$4\r\n58-1\r\n*2\r\n$1\r\nf\r\n$2\r\n58\r\n*2\r\n$4\r\n59-1\r\n*2\r\n$1\r\nf\r\n$2\r\n59\r\n*2\r\n$4\r\n60-1\r\n*4\r\n$1\r\nf\r\n$2\r\n60\r\n$1\r\ng\r\n$30\r\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n*2\r\n$4\r\n61-1\r\n*2\r\n$1\r\nf\r\n$2\r\n61\r\n*2\r\n$4\r\n62-1\r\n*2\r\n$1\r\nf\r\n$2\r\n62\r\n*2\r\n$4\r\n63-1\r\n*2\r\n$1\r\nf\r\n$2\r\n63\r\n*2\r\n$4\r\n64-1\r\n*2\r\n$1\r\nf\r\n$2\r\n64\r\n*2\r\n$4\r\n65-1\r\n*4\r\n$1\r\nf\r\n$2\r\n65\r\n$1\r\ng\r\n$30\r\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n*2\r\n$4\r\n66-1\r\n*2\r\n$1\r\nf\r\n$2\r\n66\r\n*2\r\n$4\r\n67-1\r\n*2\r\n$1\r\nf\r\n$2\r\n67\r\n*2\r\n$4\r\n68-1\r\n*2\r\n$1\r\nf\r\n$2\r\n68\r\n*2\r\n$4\r\n69-1\r\n*2\r\n$1\r\nf\r\n$2\r\n69\r\n*2\r\n$4\r\n70-1\r\n*4\r\n$1\r\nf\r\n$2\r\n70\r\n$1\r\ng\r\n$30\r\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n*2\r\n$4\r\n71-1\r\n*2\r\n$1\r\nf\r\n$2\r\n71\r\n*2\r\n$4\r\n72-1\r\n*2\r\n$1\r\nf\r\n$2\r\n72\r\n*2\r\n$4\r\n73-1\r\n*2\r\n$1\r\nf\r\n$2\r\n73\r\n*2\r\n$4\r\n74-1\r\n*2\r\n$1\r\nf\r\n$2\r\n74\r\n*2\r\n$4\r\n75-1\r\n*4\r\n$1\r\nf\r\n$2\r\n75\r\n$1\r\ng\r\n$30\r\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n*2\r\n$4\r\n76-1\r\n*2\r\n$1\r\nf\r\n$2\r\n76\r\n*2\r\n$4\r\n77-1\r\n*2\r\n$1\r\nf\r\n$2\r\n77\r\n*2\r\n$4\r\n78-1\r\n*2\r\n$1\r\nf\r\n$2\r\n78\r\n*2\r\n$4\r\n79-1\r\n*2\r\n$1\r\nf\r\n$2\r\n79\r\n*2\r\n$4\r\n80-1\r\n*4\r\n$1\r\nf\r\n$2\r\n80\r\n$1\r\ng\r\n$30\r\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n*2\r\n$4\r\n81-1\r\n*2\r\n$1\r\nf\r\n$2\r\n81\r\n*2\r\n$4\r\n82-1\r\n*2\r\n$1\r\nf\r\n$2\r\n82\r\n*2\r\n$4\r\n83-1\r\n*2\r\n$1\r\nf\r\n$2\r\n83\r\n*2\r\n$4\r\n84-1\r\n*2\r\n$1\r\nf\r\n$2\r\n84\r\n*2\r\n$4\r\n85-1\r\n*4\r\n$1\r\nf\r\n$2\r\n85\r\n$1\r\ng\r\n$30\r\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n*2\r\n$4\r\n86-1\r\n*2\r\n$1\r\nf\r\n$2\r\n86\r\n*2\r\n$4\r\n87-1\r\n*2\r\n$1\r\nf\r\n$2\r\n87\r\n*2\r\n$4\r\n88-1\r\n*2\r\n$1\r\nf\r\n$2\r\n88\r\n*2\r\n$4\r\n89-1\r\n*2\r\n$1\r\nf\r\n$2\r\n89\r\n*2\r\n$4\r\n90-1\r\n*4\r\n$1\r\nf\r\n$2\r\n90\r\n$1\r\ng\r\n$30\r\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n*2\r\n$4\r\n91-1\r\n*2\r\n$1\r\nf\r\n$2\r\n91\r\n*2\r\n$4\r\n92-1\r\n*2\r\n$1\r\nf\r\n$2\r\n92\r\n*2\r\n$4\r\n93-1\r\n*2\r\n$1\r\nf\r\n$2\r\n93\r\n*2\r\n$4\r\n94-1\r\n*2\r\n$1\r\nf\r\n$2\r\n94\r\n*2\r\n$4\r\n95-1\r\n*4\r\n$1\r\nf\r\n$2\r\n95\r\n$1\r\ng\r\n$30\r\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n*2\r\n$4\r\n96-1\r\n*2\r\n$1\r\nf\r\n$2\r\n96\r\n*2\r\n$4\r\n97-1\r\n*2\r\n$1\r\nf\r\n$2\r\n97\r\n*2\r\n$4\r\n98-1\r\n*2\r\n$1\r\nf\r\n$2\r\n98\r\n*2\r\n$4\r\n99-1\r\n*2\r\n$1\r\nf\r\n$2\r\n99\r\n*2\r\n$5\r\n100-1\r\n*4\r\n$1\r\nf\r\n$3\r\n100\r\n$1\r\ng\r\n$30\r\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n*2\r\n$5\r\n102-1\r\n*2\r\n$1\r\nf\r\n$3\r\n102\r\n*2\r\n$5\r\n103-1\r\n*2\r\n$1\r\nf\r\n$3\r\n103\r\n*2\r\n$5\r\n104-1\r\n*2\r\n$1\r\nf\r\n$3\r\n104\r\n*2\r\n$5\r\n105-1\r\n*4\r\n$1\r\nf\r\n$3\r\n105\r\n$1\r\ng\r\n$30\r\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n*2\r\n$5\r\n106-1\r\n*2\r\n$1\r\nf\r\n$3\r\n106\r\n*2\r\n$5\r\n107-1\r\n*2\r\n$1\r\nf\r\n$3\r\n107\r\n*2\r\n$5\r\n108-1\r\n*2\r\n$1\r\nf\r\n$3\r\n108\r\n*2\r\n$5\r\n109-1\r\n*2\r\n$1\r\nf\r\n$3\r\n109\r\n*2\r\n$5\r\n110-1\r\n*4\r\n$1\r\nf\r\n$3\r\n110\r\n$1\r\ng\r\n$30\r\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n*2\r\n$5\r\n111-1\r\n*2\r\n$1\r\nf\r\n$3\r\n111\r\n*2\r\n$5\r\n112-1\r\n*2\r\n$1\r\nf\r\n$3\r\n112\r\n*2\r\n$5\r\n113-1\r\n*2\r\n$1\r\nf\r\n$3\r\n113\r\n*2\r\n$5\r\n114-1\r\n*2\r\n$1\r\nf\r\n$3\r\n114\r\n*2\r\n$5\r\n115-1\r\n*4\r\n$1\r\nf\r\n$3\r\n115\r\n$1\r\ng\r\n$30\r\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n*2\r\n$5\r\n116-1\r\n*2\r\n$1\r\nf\r\n$3\r\n116\r\n*2\r\n$5\r\n117-1\r\n*2\r\n$1\r\nf\r\n$3\r\n117\r\n*2\r\n$5\r\n118-1\r\n*2\r\n$1\r\nf\r\n$3\r\n118\r\n*2\r\n$5\r\n119-1\r\n*2\r\n$1\r\nf\r\n$3\r\n119\r\n*2\r\n$5\r\n120-1\r\n*4\r\n$1\r\nf\r\n$3\r\n120\r\n$1\r\ng\r\n$30\r\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n*2\r\n$5\r\n121-1\r\n*2\r\n$1\r\nf\r\n$3\r\n121\r\n*2\r\n$5\r\n122-1\r\n*2\r\n$1\r\nf\r\n$3\r\n122\r\n*2\r\n$5\r\n123-1\r\n*2\r\n$1\r\nf\r\n$3\r\n123\r\n*2\r\n$5\r\n124-1\r\n*2\r\n$1\r\nf\r\n$3\r\n124\r\n*2\r\n$5\r\n125-1\r\n*4\r\n$1\r\nf\r\n$3\r\n125\r\n$1\r\ng\r\n$30\r\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n*2\r\n$5\r\n126-1\r\n*2\r\n$1\r\nf\r\n$3\r\n126\r\n*2\r\n$5\r\n127-1\r\n*2\r\n$1\r\nf\r\n$3\r\n127\r\n*2\r\n$5\r\n128-1\r\n*2\r\n$1\r\nf\r\n$3\r\n128\r\n*2\r\n$5\r\n129-1\r\n*2\r\n$1\r\nf\r\n$3\r\n129\r\n*2\r\n$5\r\n130-1\r\n*4\r\n$1\r\nf\r\n$3\r\n130\r\n$1\r\ng\r\n$30\r\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n$6\r\ngroups\r\n*2\r\n*14\r\n$4\r\nname\r\n$1\r\ng\r\n$17\r\nlast-delivered-id\r\n$4\r\n10-1\r\n$12\r\nentries-read\r\n$-1\r\n$3\r\nlag\r\n$-1\r\n$9\r\npel-count\r\n:6\r\n$7\r\npending\r\n*6\r\n*4\r\n$3\r\n5-1\r\n$3\r\nbob\r\n:1700000000000\r\n:9\r\n*4\r\n$3\r\n6-1\r\n$5\r\nalice\r\n:1796497211238\r\n:1\r\n*4\r\n$3\r\n7-1\r\n$5\r\nalice\r\n:1796497211238\r\n:1\r\n*4\r\n$3\r\n8-1\r\n$5\r\nalice\r\n:1796497211238\r\n:1\r\n*4\r\n$3\r\n9-1\r\n$3\r\nbob\r\n:1796497211238\r\n:1\r\n*4\r\n$4\r\n10-1\r\n$3\r\nbob\r\n:1796497211238\r\n:1\r\n$9\r\nconsumers\r\n*3\r\n*8\r\n$4\r\nname\r\n$5\r\nalice\r\n$9\r\nseen-time\r\n:1796497211238\r\n$9\r\npel-count\r\n:3\r\n$7\r\npending\r\n*3\r\n*3\r\n$3\r\n6-1\r\n:1796497211238\r\n:1\r\n*3\r\n$3\r\n7-1\r\n:1796497211238\r\n:1\r\n*3\r\n$3\r\n8-1\r\n:1796497211238\r\n:1\r\n*8\r\n$4\r\nname\r\n$3\r\nbob\r\n$9\r\nseen-time\r\n:1796497211238\r\n$9\r\npel-count\r\n:3\r\n$7\r\npending\r\n*3\r\n*3\r\n$3\r\n5-1\r\n:1700000000000\r\n:9\r\n*3\r\n$3\r\n9-1\r\n:1796497211238\r\n:1\r\n*3\r\n$4\r\n10-1\r\n:1796497211238\r\n:1\r\n*8\r\n$4\r\nname\r\n$5\r\ncarol\r\n$9\r\nseen-time\r\n:1796497211238\r\n$9\r\npel-count\r\n:0\r\n$7\r\npending\r\n*0\r\n*14\r\n$4\r\nname\r\n$2\r\ng2\r\n$17\r\nlast-delivered-id\r\n$5\r\n120-1\r\n$12\r\nentries-read\r\n$-1\r\n$3\r\nlag\r\n$-1\r\n$9\r\npel-count\r\n:0\r\n$7\r\npending\r\n*0\r\n$9\r\nconsumers\r\n*0\r\n",
    b"*20\r\n$6\r\nlength\r\n:124\r\n$15\r\nradix-tree-keys\r\n:2\r\n$16\r\nradix-tree-nodes\r\n:6\r\n$17\r\nlast-generated-id\r\n$5\r\n130-1\r\n$20\r\nmax-deleted-entry-id\r\n$5\r\n101-1\r\n$13\r\nentries-added\r\n:130\r\n$23\r\nrecorded-first-entry-id\r\n$3\r\n5-1\r\n$6\r\ngroups\r\n:2\r\n$11\r\nfirst-entry\r\n*2\r\n$3\r\n5-1\r\n*4\r\n$1\r\nf\r\n$1\r\n5\r\n$1\r\ng\r\n$30\r\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n$10\r\nlast-entry\r\n*2\r\n$5\r\n130-1\r\n*4\r\n$1\r\nf\r\n$3\r\n130\r\n$1\r\ng\r\n$30\r\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n",
    b"*3\r\n*2\r\n$3\r\n5-1\r\n*4\r\n$1\r\nf\r\n$1\r\n5\r\n$1\r\ng\r\n$30\r\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n*2\r\n$3\r\n6-1\r\n*2\r\n$1\r\nf\r\n$1\r\n6\r\n*2\r\n$3\r\n7-1\r\n*2\r\n$1\r\nf\r\n$1\r\n7\r\n",
];

const QUERIES: [&str; 3] = [
    "xinfo stream s full count 0",
    "xinfo stream s",
    "xrange s - + count 3",
];

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn restore(ks: &mut Keyspace, key: &str, payload: Vec<u8>) -> meridian_types::Reply {
    let argv = [
        Bytes::from_static(b"restore"),
        Bytes::copy_from_slice(key.as_bytes()),
        Bytes::from_static(b"0"),
        Bytes::from(payload),
    ];
    ks.execute_write(&argv, 0, 1)
}

fn wire(reply: &meridian_types::Reply) -> Vec<u8> {
    let mut out = bytes::BytesMut::new();
    meridian_resp::encode(reply, meridian_resp::Protocol::Resp2, &mut out);
    out.to_vec()
}

#[test]
fn restore_of_a_redis_payload_gives_redis_replies() {
    let mut ks = Keyspace::new();
    assert_eq!(restore(&mut ks, "s", unhex(PAYLOAD_HEX)), ok());
    for (query, expected) in QUERIES.iter().zip(REDIS_REPLIES) {
        let ours = wire(&run(&mut ks, 0, query));
        assert!(
            ours == expected,
            "{query}\n ours:  {}\n redis: {}",
            String::from_utf8_lossy(&ours),
            String::from_utf8_lossy(expected)
        );
    }
    // phase: our DUMP of it restores to the same stream
    let Some(crate::value::Value::Stream(_)) = ks.get_value(&Bytes::from_static(b"s"), 0) else {
        panic!("not a stream")
    };
    let dumped = match run(&mut ks, 0, "dump s") {
        meridian_types::Reply::Bulk(b) => b.to_vec(),
        other => panic!("{other:?}"),
    };
    assert_eq!(restore(&mut ks, "t", dumped), ok());
    for query in QUERIES {
        let on_t = query
            .replacen(" s ", " t ", 1)
            .replacen("stream s", "stream t", 1);
        assert_eq!(run(&mut ks, 0, &on_t), run(&mut ks, 0, query), "{query}");
    }
}

#[test]
fn restore_rejects_damaged_stream_payloads() {
    let mut ks = Keyspace::new();
    let good = unhex(PAYLOAD_HEX);
    // Cut inside the object, with a footer recomputed so only the object is wrong.
    let body_len = good.len() - 10;
    for cut in [5, 40, body_len / 2, body_len - 3] {
        let mut p = good[..cut].to_vec();
        p.extend_from_slice(&10u16.to_le_bytes());
        let crc = crate::cmd_dump::crc64_of(&p);
        p.extend_from_slice(&crc.to_le_bytes());
        assert_eq!(
            restore(&mut ks, "s", p),
            error("ERR Bad data format"),
            "cut {cut}"
        );
    }
    assert_eq!(run(&mut ks, 0, "exists s"), crate::test_util::int(0));
}
