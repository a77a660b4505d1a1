-- MariaDB dump 10.19  Distrib 10.11.6-MariaDB
/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET NAMES utf8mb4 */;
/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;
/*M!100616 SET @OLD_NOTE_VERBOSITY=@@NOTE_VERBOSITY, NOTE_VERBOSITY=0 */;

DROP TABLE IF EXISTS `t``odd`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
CREATE TABLE `t``odd` (
  `id` int(11) NOT NULL,
  `note` varchar(50) DEFAULT 'it\'s ; here',
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
/*!40101 SET character_set_client = @saved_cs_client */;

LOCK TABLES `t``odd` WRITE;
/*!40000 ALTER TABLE `t``odd` DISABLE KEYS */;
INSERT INTO `t``odd` VALUES (1,'a;b'),(2,'c\\'),(3,"d\"e");
/*!40000 ALTER TABLE `t``odd` ENABLE KEYS */;
UNLOCK TABLES;

DELIMITER ;;
/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER `t_bi` BEFORE INSERT ON `t``odd` FOR EACH ROW SET NEW.note = UPPER(NEW.note); */;;
DELIMITER ;
/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;
